"""Evaluation against gold files (``shared/corpus/gold/*.jsonl``): recall, precision, attributes, qualifiers.

The metrics follow ``shared/corpus/score.py`` (the scorer that judges this layer) so that ``calcitrack
eval`` and the scorer agree: a system finding matches a gold mention when the spans overlap; optional
gold mentions are neither required nor false positives; precision counts only affirmed in-scope
findings; attributes are scored only where the gold value is not null; qualifier F1 is on the True class.
Figures are given per language and overall.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calcitrack.errors import InputError

IN_SCOPE = {"liver", "biliary", "spleen", "soft_tissue"}
ATTRIBUTES = ("organ", "size_mm", "count", "site", "pattern")
QUALIFIERS = ("negated", "uncertain", "historical")


@dataclass
class GoldDoc:
    id: str
    lang: str
    text: str
    findings: list[dict[str, Any]]
    action: Any = None


def _source_text(corpus: Path, source: str) -> str:
    name, _, key = source.partition("#")
    with (corpus / name).open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if str(row["id"]) == key:
                return str(row["text"])
    raise InputError(f"{source}: not found under {corpus}")


def load_gold(path: Path) -> list[GoldDoc]:
    """Gold documents with each mention's span resolved (``start``/``end`` or ``anchor`` + ``occ``)."""
    corpus = Path(os.environ.get("CALCITRACK_CORPUS") or path.resolve().parents[1])
    docs: list[GoldDoc] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read gold file: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["text"] if "text" in row else _source_text(corpus, row["source"])
            doc = GoldDoc(id=f"{row['lang']}-{row['id']}", lang=row["lang"], text=text,
                          findings=list(row["findings"]), action=row.get("action"))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: invalid gold line ({exc})") from exc
        for mention in doc.findings:
            if "start" in mention:
                mention["span"] = (mention["start"], mention["end"])
            else:
                starts = [m.start() for m in re.finditer(re.escape(mention["anchor"]), text)]
                s = starts[mention.get("occ", 0)]
                mention["span"] = (s, s + len(mention["anchor"]))
        docs.append(doc)
    return docs


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _norm_count(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return "single" if value == 1 else "multiple"
    return value


def _attribute_ok(name: str, gold: Any, got: Any) -> bool:
    if name == "organ":
        return got in (gold if isinstance(gold, list) else [gold])
    if name == "size_mm":
        return got is not None and abs(float(got) - float(gold)) <= 0.6
    if name == "count":
        return bool(_norm_count(got) == _norm_count(gold))
    if name == "site":
        return got is not None and str(gold).lower().replace("-", "_") in str(got).lower().replace("-", "_")
    return bool(got == gold)


@dataclass
class Tally:
    gold: int = 0
    found: int = 0
    sys_in_scope: int = 0
    fp: int = 0
    attrs: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in ATTRIBUTES})
    quals: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0, 0] for k in QUALIFIERS})

    def metrics(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mentions": self.gold,
            "recall": round(self.found / self.gold, 3) if self.gold else None,
            "precision": round(1 - self.fp / self.sys_in_scope, 3) if self.sys_in_scope else None,
        }
        for name, (ok, n) in self.attrs.items():
            out[name] = round(ok / n, 3) if n else None
        for name, (tp, fp, fn) in self.quals.items():
            out[f"{name}_f1"] = round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else None
        return out


def score(
    docs: Iterable[GoldDoc], findings_by_doc: dict[str, list[dict[str, Any]]]
) -> tuple[dict[str, Any], list[str]]:
    """Metrics per language and overall, and one line per miss (for ``--show``)."""
    tallies: dict[str, Tally] = {}
    misses: list[str] = []
    for doc in docs:
        for tally in (tallies.setdefault(doc.lang, Tally()), tallies.setdefault("all", Tally())):
            _score_doc(doc, findings_by_doc.get(doc.id, []), tally, misses if tally is tallies["all"] else None)
    result = {lang: tally.metrics() for lang, tally in sorted(tallies.items())}
    return result, misses


def _score_doc(doc: GoldDoc, found: list[dict[str, Any]], tally: Tally, misses: list[str] | None) -> None:
    spans = [((f.get("evidence") or {}).get("start", -1), (f.get("evidence") or {}).get("end", -1)) for f in found]
    used: set[int] = set()

    def note(message: str) -> None:
        if misses is not None:
            misses.append(f"{doc.id}: {message}")

    for gold in doc.findings:
        cands = [i for i, span in enumerate(spans) if _overlap(span, gold["span"])]
        if gold.get("optional"):
            used.update(cands)
            continue
        tally.gold += 1
        if not cands:
            note(f'missed "{gold["anchor"]}"#{gold.get("occ")}')
            continue
        tally.found += 1
        used.update(cands)
        finding = found[cands[0]]
        for name, counts in tally.quals.items():
            gv = gold.get(name)
            if gv is None:
                continue
            sv = bool(finding.get(name))
            counts[0] += int(sv and gv)
            counts[1] += int(sv and not gv)
            counts[2] += int(gv and not sv)
            if sv != gv:
                note(f'"{gold["anchor"]}"#{gold.get("occ")} {name} gold={gv} got={sv}')
        for name, counts in tally.attrs.items():
            gv = gold.get(name)
            if gv is None:
                continue
            ok = _attribute_ok(name, gv, finding.get(name))
            counts[1] += 1
            counts[0] += int(ok)
            if not ok:
                note(f'"{gold["anchor"]}"#{gold.get("occ")} {name} gold={gv} got={finding.get(name)}')
    for i, finding in enumerate(found):
        if finding.get("organ") in IN_SCOPE and not finding.get("negated"):
            tally.sys_in_scope += 1
            if i not in used:
                tally.fp += 1
                note(f'extra finding {finding.get("organ")} "{(finding.get("evidence") or {}).get("text")}"')
