"""Evaluation against gold files (``shared/corpus/gold/*.jsonl``): recall, precision, attributes, qualifiers.

The metrics follow ``shared/corpus/score.py`` (the scorer that judges this layer) so that ``calcitrack
eval`` and the scorer agree: a system finding matches a gold mention when the spans overlap; optional
gold mentions are neither required nor false positives; precision counts only affirmed in-scope
findings; attributes are scored only where the gold value is not null; qualifier F1 is on the True class.
Figures are given per language and overall.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calcitrack.errors import InputError
from calcitrack.settings import get_settings

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
    try:
        with (corpus / name).open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if str(row["id"]) == key:
                    return str(row["text"])
    except OSError as exc:  # a wrong corpus directory is a clear one-line error (set CALCITRACK_CORPUS)
        raise InputError(f"{source}: cannot read {corpus / name}: {exc.strerror}") from exc
    raise InputError(f"{source}: not found under {corpus}")


def load_gold(path: Path) -> list[GoldDoc]:
    """Gold documents with each mention's span resolved (``start``/``end`` or ``anchor`` + ``occ``)."""
    # CALCITRACK_CORPUS (read once with every other setting), else the gold file's corpus directory
    corpus = get_settings().corpus or path.resolve().parents[1]
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


# --- Report actions -------------------------------------------------------------------------------------

ACTION_ORDER = ("out_of_scope", "no_followup", "surveillance", "workup", "urgent")
NONE = "none"  # the column of reports for which the system gave no assessment at all


def system_action(analysis: dict[str, Any]) -> str | None:
    """The report's action as ``shared/corpus/score.py`` reads it: the highest ``action`` among the
    Analysis' ``assessments`` (out_of_scope < no_followup < surveillance < workup < urgent); ``None``
    when there is no assessment."""
    acts = [a.get("action") for a in analysis.get("assessments") or [] if a.get("action") in ACTION_ORDER]
    return max(acts, key=ACTION_ORDER.index) if acts else None


def gold_actions(doc: GoldDoc) -> list[str] | None:
    """The accepted actions of a gold document (a list means either is right); ``None`` = not scored."""
    if doc.action is None:
        return None
    wanted = doc.action if isinstance(doc.action, list) else [doc.action]
    bad = [w for w in wanted if w not in ACTION_ORDER]
    if bad:
        raise InputError(f"{doc.id}: unknown gold action {bad[0]!r} (expected one of {', '.join(ACTION_ORDER)})")
    return [str(w) for w in wanted]


def score_actions(
    docs: Iterable[GoldDoc], analyses: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """Action agreement and the gold × system confusion matrix, with the scorer's rule (:func:`system_action`).

    - Only documents whose gold ``action`` is not null are scored; a list of gold actions accepts any of
      them. In the matrix such a document sits in the row of the accepted action the system gave when it
      gave one, else in the row of its first listed action.
    - ``under_calls_urgent``: gold accepts ``urgent`` and the system is below ``workup`` (or gave nothing).
    - ``under_calls`` / ``over_calls``: the system is below the lowest / above the highest accepted action
      (no assessment counts as below everything).
    - ``summary_agreement``: the overall agreement had ``analysis.summary.action`` been used instead.
    - ``summary_disagreements``: documents where ``analysis.summary.action`` (the highest among current,
      affirmed, in-scope lesions) differs from the scorer's rule; they can differ because the scorer also
      counts assessments of out-of-scope, negated or historical lesions when the system emits them.
    - ``unscored``: what the system said on documents whose gold action is null (nothing to act on).
    """
    columns = [*ACTION_ORDER, NONE]
    matrix = {g: dict.fromkeys(columns, 0) for g in ACTION_ORDER}
    unscored = dict.fromkeys(columns, 0)
    per_lang: dict[str, list[int]] = {}
    summary_ok = 0
    under_urgent: list[str] = []
    under: list[str] = []
    over: list[str] = []
    summary_diff: list[str] = []
    misses: list[str] = []

    def rank(action: str | None) -> int:
        return -1 if action is None else ACTION_ORDER.index(action)

    for doc in docs:
        analysis = analyses.get(doc.id)
        if analysis is None:
            continue
        got = system_action(analysis)
        summary = (analysis.get("summary") or {}).get("action")
        if "summary" in analysis and summary != got:
            summary_diff.append(doc.id)
        wanted = gold_actions(doc)
        if wanted is None:
            unscored[got or NONE] += 1
            continue
        ok = got in wanted
        summary_ok += int(summary in wanted)
        row = got if ok and got is not None else wanted[0]
        matrix[row][got or NONE] += 1
        for lang in (doc.lang, "all"):
            counts = per_lang.setdefault(lang, [0, 0])
            counts[0] += int(ok)
            counts[1] += 1
        if not ok:
            misses.append(f"{doc.id}: action gold={doc.action} got={got}")
            if rank(got) < min(rank(w) for w in wanted):
                under.append(doc.id)
            elif rank(got) > max(rank(w) for w in wanted):
                over.append(doc.id)
        if "urgent" in wanted and rank(got) < rank("workup"):
            under_urgent.append(doc.id)
    result: dict[str, Any] = {
        "n": per_lang.get("all", [0, 0])[1],
        "agreement": {lang: round(ok / n, 3) for lang, (ok, n) in sorted(per_lang.items())},
        "scored": {lang: n for lang, (_, n) in sorted(per_lang.items())},
        "matrix": matrix,
        "under_calls_urgent": len(under_urgent),
        "under_calls_urgent_ids": under_urgent,
        "under_calls": len(under),
        "over_calls": len(over),
        "summary_agreement": round(summary_ok / per_lang["all"][1], 3) if per_lang else None,
        "summary_disagreements": len(summary_diff),
        "summary_disagreement_ids": summary_diff,
        "unscored": unscored,
    }
    return result, misses
