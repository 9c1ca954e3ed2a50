"""English negation on the NegEx test set (Chapman), calcitrack's English pipeline beside plain EDS-NLP.

Each row is a sentence with its concept in capitals and a gold label (Affirmed / Negated). The concept's
span is the only entity; each pipeline's own sentence splitter runs first. Prints accuracy, precision,
recall and F1 of the Negated class for:

- calcitrack: ``calcitrack.nlp.pipeline.get_pipeline("en")`` (English trigger lists from lexicon.en.yaml);
- EDS-NLP defaults: ``eds.negation()`` with its default (French) lists, on the same tokeniser.

Run: ``.venv/bin/python benchmarks/negex.py [PATH]`` (default ../shared/corpus/negex/negex_annotations.txt).
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import edsnlp

from calcitrack.nlp.pipeline import SPAN_KEY, get_pipeline

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "negex" / "negex_annotations.txt"


def load(path: Path) -> tuple[list[tuple[str, int, int, bool]], int]:
    """(sentence, start, end, negated) rows; rows whose concept is not in the sentence are skipped."""
    rows: list[tuple[str, int, int, bool]] = []
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for record in csv.reader(fh, delimiter="\t"):
            if len(record) < 4 or record[3] not in ("Affirmed", "Negated"):
                continue
            concept, sentence = record[1].strip(), record[2].strip().strip('"')
            words = [re.escape(w) for w in concept.upper().split()]
            pattern = r"\s*".join(words)
            # the concept is written in capitals; fall back to any case when the capitals were lost
            m = (re.search(pattern, sentence) or re.search(pattern, sentence, re.IGNORECASE)) if words else None
            if m is None:
                skipped += 1
                continue
            rows.append((sentence, m.start(), m.end(), record[3] == "Negated"))
    return rows, skipped


def evaluate(rows: list[tuple[str, int, int, bool]], negated: Callable[[str, int, int], bool]) -> dict[str, float]:
    tp = fp = fn = tn = 0
    for sentence, start, end, gold in rows:
        got = negated(sentence, start, end)
        tp += int(got and gold)
        fp += int(got and not gold)
        fn += int(gold and not got)
        tn += int(not got and not gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (tp + tn) / len(rows), "precision": precision, "recall": recall, "f1": f1}


def calcitrack_negation(sentence: str, start: int, end: int) -> bool:
    pipeline = get_pipeline("en")
    doc = pipeline.prepare(sentence)
    span = doc.char_span(start, end, alignment_mode="expand")
    doc.spans[SPAN_KEY] = [span]
    pipeline.qualifiers[0](doc)
    return bool(span._.negation)


def _plain_eds() -> Any:
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("eds.normalizer")
    nlp.add_pipe("eds.sentences")
    nlp.add_pipe("eds.negation", config={"span_getter": "concept"})
    return nlp


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows, skipped = load(path)
    negated = sum(1 for r in rows if r[3])
    print(f"NegEx test set: {len(rows)} rows scored ({negated} Negated), {skipped} skipped (concept not found)")
    plain = _plain_eds()
    tokenizer_and_pipes = list(plain.pipeline)

    def plain_negation(sentence: str, start: int, end: int) -> bool:
        doc = plain.make_doc(sentence)
        for name, pipe in tokenizer_and_pipes:
            if name == "negation":
                doc.spans["concept"] = [doc.char_span(start, end, alignment_mode="expand")]
            doc = pipe(doc)
        return bool(doc.spans["concept"][0]._.negation)

    results = {
        "calcitrack English lists (EDS-NLP eds.negation)": evaluate(rows, calcitrack_negation),
        "EDS-NLP eds.negation defaults": evaluate(rows, plain_negation),
    }
    print(f"{'system':<50}{'accuracy':>10}{'precision':>10}{'recall':>10}{'F1':>10}")
    for name, m in results.items():
        print(f"{name:<50}{m['accuracy']:>10.3f}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}")


if __name__ == "__main__":
    main()
