"""``calcitrack kb check``, the part that reads the KB only: is the knowledge base complete?

Loading already guarantees structure and references (:mod:`calcitrack.kb.loader`). This adds what a
reviewer needs before accepting an edit: every condition reachable from some rule, every text in both
languages, and reads the golden cases file (``golden.yaml``, shipped with the KB: an installed ``kb check``
runs them too, and a missing file is a problem, never a silent skip). Running the golden cases needs the
engine, which reads the KB (not the other way round): :mod:`calcitrack.assess.golden` runs them and checks
that every rule and both policies are exercised; it also validates the lexicons against the reader's schema.
The clinical constants (``constants.yaml``) are validated on load (ranges, sources, named facts) and
counted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from calcitrack.kb.loader import KBError, KnowledgeBase, golden_path, read_yaml
from calcitrack.kb.schema import GoldenCase, GoldenFile


@dataclass
class CheckReport:
    """Counts and problems found; ``ok`` when there is no problem."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def default_golden(kb: KnowledgeBase) -> Path:
    """The golden cases of ``kb``: its directory's ``golden.yaml``, else the packaged one."""
    return golden_path(kb.directory)


def load_golden(path: Path) -> list[GoldenCase]:
    """Read golden cases; a malformed or missing file is a :class:`KBError` naming the file or the case."""
    data = read_yaml(path)
    try:
        return GoldenFile.model_validate(data).cases
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " > ".join(str(p) for p in first["loc"])
        raise KBError(f"{path.name}: {where}: {first['msg']}") from exc


def check_structure(kb: KnowledgeBase) -> CheckReport:
    """The checks that need no engine: counts, reachability, both languages (``kb check`` adds the golden
    cases, :func:`calcitrack.assess.golden.check_kb`)."""
    report = CheckReport()
    report.counts = {
        "conditions": len(kb.conditions),
        "rules": len(kb.rules),
        "sources": len(kb.sources),
        "questions": len(kb.questions),
        "seed claims": len(kb.claims),
        "policies": len(kb.policies),
        "constants": len(kb.constants.items()),
    }
    if kb.constants_inherited:
        report.notes.append("constants.yaml not in the KB directory: the packaged constants are used")
    for name in kb.inherited_files:
        report.notes.append(f"{name} not in the KB directory: the packaged file is used")
    reachable = {item.condition for rule in kb.rules for item in rule.differential}
    for condition_id in kb.conditions:
        if condition_id not in reachable:
            report.problems.append(f"condition {condition_id} is not reachable: no rule puts it in a differential")
    en, fr = set(kb.texts.get("en", {})), set(kb.texts.get("fr", {}))
    for key in sorted(en - fr):
        report.problems.append(f"texts.fr.yaml: missing key {key!r} (present in English)")
    for key in sorted(fr - en):
        report.problems.append(f"texts.en.yaml: missing key {key!r} (present in French)")
    return report
