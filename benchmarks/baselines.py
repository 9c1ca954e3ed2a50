"""The conventional pipeline that calcitrack's speed is compared with, defined once for every benchmark.

Why one definition: ``nlp_speed.py`` and ``batch.py`` both report "x times a plain EDS-NLP pipeline";
the ratio only means something if both measure the same pipeline.
"""

from __future__ import annotations

from typing import Any

TARGET_TERMS = [
    "calcification", "calcifications", "calcified", "calcific", "calcinosis", "phlebolith", "phleboliths",
    "echogenic focus", "echogenic foci", "microcalcifications", "calcified granuloma",
]


def plain_eds_pipeline() -> Any:
    """``eds.sentences`` + ``eds.normalizer`` + ``eds.matcher`` (the English target terms) + ``eds.negation``."""
    import edsnlp

    nlp = edsnlp.blank("en")
    nlp.add_pipe("eds.sentences")
    nlp.add_pipe("eds.normalizer")
    nlp.add_pipe("eds.matcher", config={"terms": {"calcification": TARGET_TERMS}, "attr": "NORM"})
    nlp.add_pipe("eds.negation")
    return nlp
