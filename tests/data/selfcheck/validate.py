"""Checks cases_selfcheck.jsonl: offsets and occ (as shared/corpus/score.py resolves them), field order,
values, and that every target-word candidate is annotated. Run: .venv/bin/python tests/data/selfcheck/validate.py"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIELDS = ["anchor", "occ", "start", "end", "organ", "negated", "uncertain", "historical", "size_mm", "count",
          "site", "pattern"]
ORGANS = {"liver", "biliary", "spleen", "soft_tissue", "other"}
PATTERNS = {None, "punctate", "coarse", "rim", "curvilinear", "clustered", "diffuse", "ductal", "cloud_like",
            "central_scar", "septal"}
ACTIONS = {"out_of_scope", "no_followup", "surveillance", "workup", "urgent"}
# guideline §1 stems; "lithiase" only as a noun (not lithiasique / alithiasique); hyperechoic wording only as
# "image(s) / foyer(s) [word] hyperéchogène(s)" (a bare adjective describing an annotated mention is not one)
CANDIDATE = re.compile(r"\w*(calcif|calcinos|phl[eé]bolith|echogenic foc)\w*|\blithiases?\b"
                       r"|\b(images?|foyers?)\s+(\w+\s+)?hyper[eé]ch\w*", re.I)


def problems(row: dict[str, Any]) -> list[str]:
    out: list[str] = []
    text, rid = row["text"], row["id"]
    if list(row) != ["id", "lang", "text", "findings", "action", "rule", "why"]:
        out.append(f"{rid}: document keys {list(row)}")
    actions = row["action"] if isinstance(row["action"], list) else [row["action"]]
    if row["action"] is not None and not set(actions) <= ACTIONS:
        out.append(f"{rid}: action {row['action']}")
    last_end = -1
    for f in row["findings"]:
        where = f'{rid} "{f["anchor"]}"@{f["start"]}'
        if list(f) != FIELDS:
            out.append(f"{where}: fields {list(f)}")
        if text[f["start"]:f["end"]] != f["anchor"]:
            out.append(f"{where}: text[start:end] = {text[f['start']:f['end']]!r}")
        starts = [m.start() for m in re.finditer(re.escape(f["anchor"]), text)]
        if f["occ"] >= len(starts) or starts[f["occ"]] != f["start"]:
            out.append(f"{where}: occ {f['occ']} does not point at start")
        if f["start"] < last_end:
            out.append(f"{where}: not sorted or overlapping")
        last_end = f["end"]
        organs = f["organ"] if isinstance(f["organ"], list) else [f["organ"]]
        if not set(organs) <= ORGANS or f["pattern"] not in PATTERNS:
            out.append(f"{where}: organ {f['organ']} / pattern {f['pattern']}")
        if f["negated"] and (f["size_mm"], f["count"], f["pattern"]) != (None, None, None):
            out.append(f"{where}: a negated mention carries no size, count or pattern")
    spans = [(f["start"], f["end"]) for f in row["findings"]]
    for m in CANDIDATE.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in spans):
            out.append(f"{rid}: candidate {m.group(0)!r}@{m.start()} is not annotated")
    return out


def main() -> int:
    rows = [json.loads(line) for line in (HERE / "cases_selfcheck.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    found = [p for row in rows for p in problems(row)]
    print("\n".join(found) if found else f"ok: {len(rows)} documents, {sum(len(r['findings']) for r in rows)} mentions")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
