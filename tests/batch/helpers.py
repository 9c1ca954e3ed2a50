"""A small, varied corpus of reports for the batch tests, written as JSONL, CSV and Parquet.

Why synthetic: the tests must run without ../shared; the templates still cover what changes the output
rows — organs, sizes, counts, negation, French, reports without any target, and a date/modality.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TEMPLATES = [
    "LIVER: Normal size. A {n} mm punctate calcification in segment VII.\nIMPRESSION: Benign calcification.",
    "SPLEEN: Multiple small calcified granulomas, the largest {n} mm. No splenomegaly.",
    "Gallbladder: echogenic focus with posterior acoustic shadowing measuring {n} mm, consistent with a stone.",
    "No hepatic calcification. The kidneys are normal. Follow-up ultrasound in 6 months is recommended.",
    "Abdominal CT: coarse calcification of {n} mm within a hepatic mass; intrahepatic duct dilatation.",
    "Soft tissues: periarticular calcifications around the right hip, {n} mm.",
    "FOIE : calcification punctiforme de {n} mm du segment IV. Pas de dilatation des voies biliaires.",
    "Rate : pas de calcification. Reins normaux.",
    "Chest x-ray: clear lungs, normal heart size. No acute disease.",
    "History of tuberculosis. Spleen: several calcified granulomas, stable since prior study.",
    "The patient presents with abdominal pain for two days; labs are unremarkable; discharged home.",
    "Aortic calcification is noted. Liver and spleen unremarkable.",
]


def make_rows(count: int) -> list[dict[str, Any]]:
    """``count`` reports cycling through the templates, with ids, sizes and, for some, date and modality."""
    rows: list[dict[str, Any]] = []
    for i in range(count):
        text = TEMPLATES[i % len(TEMPLATES)].format(n=3 + i % 17)
        row: dict[str, Any] = {"id": f"r{i:05d}", "text": text}
        if i % 5 == 0:
            row["modality"] = "US"
            row["date"] = f"2026-0{1 + i % 9}-1{i % 10}"
        rows.append(row)
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]], text: str = "report_text", ident: str = "accession") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([ident, text, "modality", "date"])
        for r in rows:
            writer.writerow([r["id"], r["text"], r.get("modality", ""), r.get("date", "")])
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    table = pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows],
                      "modality": [r.get("modality") for r in rows]})
    pq.write_table(table, path)
    return path

