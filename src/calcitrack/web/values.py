"""Codes shown as words: organ, site, pattern, interval change, count, status, event, policy, cancer site,
rule fields and operators, and stored follow-up texts, in the page's language.

Why a module of its own: the read models and the KB speak in codes (``soft_tissue``, ``segment_VI``,
``periarticular_hip``, ``pending``), which are the JSON contract; a French page must never show them. The
words come from the KB text tables (organs, sites, patterns, changes, counts: :mod:`calcitrack.explain.
vocabulary`, shared with CDS Hooks and FHIR) and from ``i18n.yaml`` (statuses, events, rule fields), so
adding a language or a site needs no code. A code with
no word yet is shown with spaces rather than underscores (visible, never blank).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from calcitrack.explain import vocabulary
from calcitrack.explain.texts import Texts
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.registry.followups import DEFAULT_ESCALATION_ROLE
from calcitrack.web.i18n import strings, translate

OPS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
_DETAILS = [
    (re.compile(r"^(?P<action>[a-z_]+) from report (?P<report>\S+) \((?P<origin>[a-z_]+)\)$"), "detail.created"),
    (re.compile(r"^overdue since (?P<date>\S+)$"), "detail.overdue"),
    (re.compile(r"^finding resolved on (?P<label>.+)$"), "detail.resolved"),
]
"""The registry's own event sentences (registry/store.py, followups.py, app/follow_up_plan.py) -> i18n key."""


@dataclass(frozen=True)
class Words:
    """The words of one page language (templates call ``w.site(l.site)`` and the like)."""

    lang: str

    @property
    def kb(self) -> KnowledgeBase:
        return get_kb()

    def _key(self, key: str) -> str | None:
        return translate(key, self.lang) if key in strings() else None

    def _kb_text(self, key: str) -> str | None:
        kb = self.kb
        return kb.text(key, self.lang) if key in kb.texts.get(self.lang, {}) else None

    @staticmethod
    def plain(code: object) -> str:
        return str(code).replace("_", " ")

    @property
    def texts(self) -> Texts:
        return Texts(self.kb)

    def organ(self, code: object) -> str:
        return vocabulary.organ_words(self.texts, code, self.lang)

    def site(self, code: object) -> str:
        """ "segment_VI" -> "segment VI"; a known site by its word; ``<layer>_<region>`` composed."""
        return vocabulary.site_words(self.texts, code, self.lang)

    def pattern(self, code: object) -> str:
        return vocabulary.pattern_words(self.texts, code, self.lang)

    def change(self, code: object) -> str:
        return vocabulary.change_words(self.texts, code, self.lang)

    def count(self, value: object) -> str:
        return vocabulary.count_words(self.texts, value, self.lang)

    def status(self, code: object) -> str:
        return self._key(f"status.{code}") or self.plain(code)

    def event(self, code: object) -> str:
        return self._key(f"event.{code}") or self.plain(code)

    def action(self, code: object) -> str:
        return self._kb_text(f"action.{code}") or self.plain(code)

    def characterisation(self, code: object) -> str:
        return self._kb_text(f"characterisation.{code}") or self.plain(code)

    def policy(self, code: object) -> str:
        policy = self.kb.policies.get(str(code))
        return policy.name.get(self.lang) if policy else self.plain(code)

    def cancer(self, code: object) -> str:
        return self._key(f"cancer.{code}") or self.plain(code)

    def sex(self, code: object) -> str:
        return self._key(f"sex.{code}") or self.plain(code)

    def treatment(self, code: object) -> str:
        return self._key(f"treatment.{code}") or self.plain(code)

    def strength(self, code: object) -> str:
        return self._key(f"strength.{code}") or self.plain(code)

    def rule(self, rule_id: str) -> str:
        """A fired rule by its title in the page's language (the id is a code)."""
        try:
            return self.kb.rule(rule_id).title.get(self.lang)
        except KeyError:
            return self.plain(rule_id)

    def what(self, text: str | None) -> str:
        """A stored follow-up text in the page's language, when it is a KB recommendation (or several
        joined with "; "); any other text is shown as stored."""
        return vocabulary.recommendation_words(self.kb, text, self.lang)

    def size(self, size_mm: float) -> str:
        return vocabulary.size_text(size_mm, self.lang)

    def role(self, name: object) -> str:
        """An escalation role: the default role's name is translated; a site's own role name is shown as set."""
        if name == DEFAULT_ESCALATION_ROLE:
            return self._key("escalation.default") or str(name)
        return str(name)

    def event_value(self, event: str, value: object) -> str:
        """The old / new value of a follow-up event: a status, an escalation role, or as stored."""
        if value in (None, ""):
            return ""
        if event == "escalated":
            return self.role(value)
        return self._key(f"status.{value}") or str(value)

    def detail(self, text: str) -> str:
        """A follow-up event's detail or closing reason: the registry's own sentences in the page's words
        (``detail.*`` templates); a person's free-text reason is shown as written."""
        for pattern, key in _DETAILS:
            match = pattern.match(text)
            if match and key in strings():
                values = {name: self._detail_value(name, value) for name, value in match.groupdict().items()}
                return translate(key, self.lang).format(**values)
        return text

    def _detail_value(self, name: str, value: str) -> str:
        if name == "action":
            return self._key(f"act.{value}") or self.plain(value)
        if name == "origin":
            return self._key(f"origin.{value}") or self.plain(value)
        return value

    def field(self, field: str) -> str:
        """A rule clause's fact: ``finding.size_mm`` -> "size (mm)", ``context.fever`` -> "Fever"."""
        scope, _, name = field.partition(".")
        if scope == "context":
            return self._key(f"ctx.{name}") or self._key(f"field.{name}") or self.plain(name)
        return self._key(f"field.{name}") or self._key(f"attr.{name}") or self.plain(name)

    def value(self, field: str, value: Any) -> str:
        """A rule clause's value in words (lists joined)."""
        if isinstance(value, list):
            return ", ".join(self.value(field, item) for item in value)
        name = field.partition(".")[2]
        lookups = {
            "organ": self.organ, "site": self.site, "pattern": self.pattern, "interval_change": self.change,
            "characterisation": self.characterisation, "known_cancer": self.cancer,
            "known_primary_cancer": self.cancer, "prior_liver_treatment": self.treatment,
        }
        if name in lookups:
            return lookups[name](value)
        return str(value)

    def clause(self, test: object) -> str:
        """A rule condition as a short readable formula in the page's language."""
        joiner = self._key("rule.or") or "or"
        if hasattr(test, "any"):
            return "(" + f" {joiner} ".join(self.clause(t) for t in test.any) + ")"
        if hasattr(test, "all"):
            both = self._key("rule.and") or "and"
            return "(" + f" {both} ".join(self.clause(t) for t in test.all) + ")"
        field = str(getattr(test, "field", ""))
        op = str(getattr(test, "op", ""))
        value = getattr(test, "value", None)
        subject = self.field(field)
        if op in OPS:
            return f"{subject} {OPS[op]} {self.value(field, value)}"
        words = self._key(f"op.{op}") or self.plain(op)
        return f"{subject} {words}" + (f" {self.value(field, value)}" if value is not None else "")
