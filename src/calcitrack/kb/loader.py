"""Load and validate the knowledge base from YAML.

The KB ships inside the package (``calcitrack/kb/data``); ``CALCITRACK_KB_DIR`` or an explicit path
points at another copy, which is how a site tries an edited rule before proposing it. Loading validates
every file against :mod:`calcitrack.kb.schema` and every cross-reference (sources, conditions, policies,
fact names), so a KB that loads is a KB the engine can run without surprises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from calcitrack.errors import KBError as KBError  # defined with every layer's errors; kb's callers import it here
from calcitrack.kb.facts import FACT_TYPES, check_value
from calcitrack.kb.schema import (
    AllOf,
    AnyOf,
    ClaimsFile,
    Clause,
    Condition,
    ConditionsFile,
    Constants,
    ConstantsFile,
    PoliciesFile,
    Policy,
    Question,
    QuestionsFile,
    Rule,
    RulesFile,
    SeedClaim,
    Source,
    SourcesFile,
    Test,
)
from calcitrack.models import Finding, PatientContext
from calcitrack.settings import get_settings

DATA_DIR = Path(__file__).parent / "data"
CORE_FILES = ("sources.yaml", "conditions.yaml", "rules.yaml", "policies.yaml", "questions.yaml", "claims.yaml")
CONSTANTS_FILE = "constants.yaml"
"""Clinical constants used by code (growth threshold, due days, child age, high risk, escalation); optional in
an edited copy of the KB, which then inherits the packaged file."""
TEXT_FILES = {"en": "texts.en.yaml", "fr": "texts.fr.yaml"}
LEXICON_FILES = {"en": "lexicon.en.yaml", "fr": "lexicon.fr.yaml"}
"""The report reader's vocabulary (schema: :mod:`calcitrack.nlp.lexicon`); optional in an edited copy of the KB,
which then inherits the packaged file. Their content counts in :attr:`KnowledgeBase.kb_version`."""
GOLDEN_FILE = "golden.yaml"
"""Golden cases (finding + context + policy -> expected action), run by ``calcitrack kb check``. Shipped with
the KB so an installed ``kb check`` runs them; an edited copy without its own file inherits the packaged one."""

M = TypeVar("M", bound=BaseModel)


def kb_dir() -> Path:
    """The directory the KB is read from: ``CALCITRACK_KB_DIR`` if set, else the packaged data."""
    return get_settings().kb_dir or DATA_DIR


def kb_file(name: str, directory: Path | None = None) -> tuple[Path, bool]:
    """(path, inherited): ``name`` in the KB directory, else the packaged copy (``inherited`` is then True).

    Used for the files an edited KB may leave out (constants, lexicons, golden cases)."""
    root = directory or kb_dir()
    path = root / name
    if path.exists() or root.resolve() == DATA_DIR.resolve():
        return path, False
    return DATA_DIR / name, True


def lexicon_path(lang: str, directory: Path | None = None) -> Path:
    """The lexicon file of ``lang`` that the reader uses: the KB directory's own, else the packaged one."""
    try:
        name = LEXICON_FILES[lang]
    except KeyError as exc:
        raise KBError(f"no lexicon for language {lang!r}; known: {', '.join(LEXICON_FILES)}") from exc
    return kb_file(name, directory)[0]


def golden_path(directory: Path | None = None) -> Path:
    """The golden cases file of the KB in ``directory`` (default: :func:`kb_dir`), else the packaged one."""
    return kb_file(GOLDEN_FILE, directory)[0]


def lexicon_digest(directory: Path | None = None) -> str:
    """A short digest of the lexicon files the reader uses: a changed synonym changes what is read, so it
    changes :attr:`KnowledgeBase.kb_version` (why a digest and not the files' ``version`` field: an edit
    that forgets to bump it still shows)."""
    digest = hashlib.sha256()
    for lang in sorted(LEXICON_FILES):
        path = lexicon_path(lang, directory)
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            raise KBError(f"{path.name}: cannot read lexicon in {path.parent}: {exc.strerror}") from exc
    return digest.hexdigest()[:10]


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning I/O and syntax problems into a :class:`KBError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KBError(f"{path.name}: file not found in {path.parent}") from exc
    except UnicodeDecodeError as exc:
        raise KBError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise KBError(f"{path.name}:{where} invalid YAML: {problem}") from exc


def _validate(model: type[M], data: Any, filename: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = _describe_location(data, first["loc"])
        raise KBError(f"{filename}: {location}: {first['msg']}") from exc


def _describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into words a clinician can follow ("rule R5 > when > 0")."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            label = node.get("id") if isinstance(node, dict) else None
            parts.append(f"#{key + 1}" + (f" ({label})" if label else ""))
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return " > ".join(parts) or "file"


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated, cross-referenced knowledge base. Immutable: share it freely between threads."""

    kb_version: str
    """``sources.yaml``'s declared version, then ``+lex.`` and the digest of the lexicons
    (:func:`lexicon_digest`), e.g. ``2026.12.0+lex.1f2e3d4c5b``."""
    directory: Path
    sources: dict[str, Source]
    conditions: dict[str, Condition]
    rules: tuple[Rule, ...]
    policies: dict[str, Policy]
    default_policy: str
    questions: tuple[Question, ...]
    claims: tuple[SeedClaim, ...]
    constants: Constants
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    constants_inherited: bool = False
    """True when the KB directory has no ``constants.yaml`` and the packaged constants are used."""
    inherited_files: tuple[str, ...] = ()
    """Lexicon and golden files the KB directory lacks, so the packaged ones are used (``kb check`` notes it)."""

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def text(self, key: str, lang: str) -> str:
        """A user-facing sentence from ``texts.<lang>.yaml``; a missing key is a KB error, not a blank."""
        try:
            return self.texts[lang][key]
        except KeyError as exc:
            raise KBError(f"texts.{lang}.yaml: missing key {key!r}") from exc

    def resolve_policy(self, policy: str | None) -> str:
        """The policy to use: explicit, else ``CALCITRACK_POLICY``, else the KB default; unknown is an error."""
        chosen = policy or get_settings().policy or self.default_policy
        if chosen not in self.policies:
            raise KBError(f"unknown policy {chosen!r}; known policies: {', '.join(sorted(self.policies))}")
        return chosen


def load_kb(directory: Path | None = None) -> KnowledgeBase:
    """Load and validate every KB file in ``directory`` (default: :func:`kb_dir`)."""
    root = directory or kb_dir()
    sources_file = _validate(SourcesFile, read_yaml(root / "sources.yaml"), "sources.yaml")
    conditions_file = _validate(ConditionsFile, read_yaml(root / "conditions.yaml"), "conditions.yaml")
    rules_file = _validate(RulesFile, read_yaml(root / "rules.yaml"), "rules.yaml")
    policies_file = _validate(PoliciesFile, read_yaml(root / "policies.yaml"), "policies.yaml")
    questions_file = _validate(QuestionsFile, read_yaml(root / "questions.yaml"), "questions.yaml")
    claims_file = _validate(ClaimsFile, read_yaml(root / "claims.yaml"), "claims.yaml")
    # a site's edited copy without constants keeps the packaged ones (kb check says so)
    constants_path, inherited = kb_file(CONSTANTS_FILE, root)
    constants_file = _validate(ConstantsFile, read_yaml(constants_path), CONSTANTS_FILE)
    texts = {lang: _load_texts(root / name) for lang, name in TEXT_FILES.items()}

    kb = KnowledgeBase(
        kb_version=f"{sources_file.kb_version}+lex.{lexicon_digest(root)}",
        directory=root,
        sources=_unique(sources_file.sources, "sources.yaml", "source"),
        conditions=_unique(conditions_file.conditions, "conditions.yaml", "condition"),
        rules=tuple(_unique(rules_file.rules, "rules.yaml", "rule").values()),
        policies=_unique(policies_file.policies, "policies.yaml", "policy"),
        default_policy=policies_file.default,
        questions=tuple(_unique(questions_file.questions, "questions.yaml", "question").values()),
        claims=tuple(_unique(claims_file.claims, "claims.yaml", "claim").values()),
        constants=constants_file.constants,
        texts=texts,
        constants_inherited=inherited,
        inherited_files=tuple(name for name in (*LEXICON_FILES.values(), GOLDEN_FILE) if kb_file(name, root)[1]),
    )
    _check_references(kb)
    return kb


@lru_cache(maxsize=4)
def _cached(directory: Path) -> KnowledgeBase:
    return load_kb(directory)


@lru_cache(maxsize=16)
def _resolved(path: Path) -> Path:
    return path.resolve()


def get_kb(directory: Path | None = None) -> KnowledgeBase:
    """The KB for this process, loaded once per directory (the engine and NLP call this on every report,
    so even the path resolution is memoised)."""
    return _cached(_resolved(directory or kb_dir()))


def _load_texts(path: Path) -> dict[str, str]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise KBError(f"{path.name}: expected a mapping of text keys to non-empty strings")
    return data


_T = TypeVar("_T", Source, Condition, Rule, Policy, Question, SeedClaim)


def _unique(items: list[_T], filename: str, kind: str) -> dict[str, _T]:
    seen: dict[str, _T] = {}
    for item in items:
        if item.id in seen:
            raise KBError(f"{filename}: duplicate {kind} id {item.id!r}")
        seen[item.id] = item
    return seen


def _check_references(kb: KnowledgeBase) -> None:
    """Cross-file integrity: every cited source, condition, policy and fact exists and is well typed."""

    def need_sources(ids: list[str], where: str) -> None:
        for source_id in ids:
            if source_id not in kb.sources:
                raise KBError(f"{where} cites source {source_id!r}, which is not in sources.yaml")

    if kb.default_policy not in kb.policies:
        raise KBError(f"policies.yaml: default policy {kb.default_policy!r} is not defined")
    for policy in kb.policies.values():
        need_sources(policy.sources, f"policies.yaml: policy {policy.id}")
    for condition in kb.conditions.values():
        for statement in condition.statements():
            need_sources(statement.sources, f"conditions.yaml: condition {condition.id}")
    for claim in kb.claims:
        need_sources([claim.seed, *claim.sources], f"claims.yaml: claim {claim.id}")
        for condition_id in claim.conditions:
            if condition_id not in kb.conditions:
                raise KBError(f"claims.yaml: claim {claim.id} names unknown condition {condition_id!r}")
    for question in kb.questions:
        need_sources(question.sources, f"questions.yaml: question {question.id}")
        for probe in question.probes:
            where = f"questions.yaml: question {question.id}"
            _check_fact(probe.field, "eq", probe.value, where)
            scope, name = probe.field.split(".", 1)
            model = Finding if scope == "finding" else PatientContext
            if name not in model.model_fields:
                raise KBError(f"{where}: probe field {probe.field!r} is derived; probe a stored field instead")
    _check_constants(kb, need_sources)
    for rule in kb.rules:
        where = f"rules.yaml: rule {rule.id}"
        need_sources(rule.sources, where)
        for policy_id in rule.policies or []:
            if policy_id not in kb.policies:
                raise KBError(f"{where} names unknown policy {policy_id!r}")
        for item in rule.differential:
            if item.condition not in kb.conditions:
                raise KBError(f"{where} names unknown condition {item.condition!r}")
        for test in rule.when:
            _check_test(test, where)


def _check_constants(kb: KnowledgeBase, need_sources: Callable[[list[str], str], None]) -> None:
    """Constants name existing true/false facts; their sources exist (when the KB ships its own file)."""
    constants = kb.constants
    if not kb.constants_inherited:
        for name, constant in constants.items():
            need_sources(constant.sources, f"constants.yaml: {name}")
    for name in constants.high_risk.any_of:
        where = "constants.yaml: high_risk > any_of"
        fact_type = FACT_TYPES.get(name)
        if not name.startswith("context.") or fact_type is None or fact_type.kind != "bool":
            raise KBError(f"{where}: {name!r} is not a true/false context fact")
        if name in ("context.high_risk", "context.child"):
            raise KBError(f"{where}: {name!r} is derived from this definition or after it")
    for feature in constants.escalation.new_features:
        feature_type = FACT_TYPES.get(f"finding.{feature}")
        if feature_type is None or feature_type.kind != "bool" or feature not in Finding.model_fields:
            raise KBError(f"constants.yaml: escalation > new_features: {feature!r} is not a true/false finding field")


def _check_test(test: Test, where: str) -> None:
    if isinstance(test, Clause):
        _check_fact(test.field, test.op, test.value, where)
    elif isinstance(test, AnyOf):
        for inner in test.any:
            _check_test(inner, where)
    elif isinstance(test, AllOf):
        for inner in test.all:
            _check_test(inner, where)


def _check_fact(name: str, op: str, value: Any, where: str) -> None:
    if name not in FACT_TYPES:
        raise KBError(f"{where}: unknown field {name!r}; known fields: {', '.join(sorted(FACT_TYPES))}")
    problem = check_value(name, op, value)
    if problem:
        raise KBError(f"{where}: field {name!r}: {problem}")
