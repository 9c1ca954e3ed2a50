"""The ``calcitrack.findings`` EDS-NLP component: factory, span extensions, ``lang``, pickling, and the
picklable qualifier pipes the reader itself runs (real EDS-NLP and spaCy pipelines, no mocks)."""

from __future__ import annotations

import pickle
import re
from typing import Any

import edsnlp
import pytest
import spacy
from confit.errors import ConfitValidationError
from spacy.tokens import Span

from calcitrack.models import Finding, Report
from calcitrack.nlp import read_report
from calcitrack.nlp.components import FINDING_EXTENSIONS, QUALIFIER_EXTENSIONS, CalcitrackFindings, set_extensions
from calcitrack.nlp.pipeline import SPAN_KEY, SpaceTolerantPhraseMatcher, get_pipeline

EN = "LIVER: a 4 mm punctate calcification in segment VII. No splenic calcification."
FR = "Foie : calcification punctiforme de 3 mm du segment IV. Pas de calcification splénique."
TEXTS = [
    (EN, "en"),
    ("History: calcified granuloma of the liver described in 2019. Possible 6 mm calcification in the spleen.\n\n"
     "IMPRESSION: three coarse hepatic calcifications, stable.", "en"),
    ("Gallbladder: no stones. CBD: a 7 mm stone in the distal common bile duct with duct dilatation.", "en"),
    (FR, "fr"),
    ("Conclusion : probables calcifications hépatiques multiples ; antécédent de lithiase cholédocienne.", "fr"),
]


@pytest.fixture(scope="module")
def nlp_en() -> Any:
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("calcitrack.findings", config={"lang": "en"})
    return nlp


def _as_tuple(span: Span) -> tuple[Any, ...]:
    return (span.start_char, span.end_char, *(span._.get(n) for n in (*FINDING_EXTENSIONS, *QUALIFIER_EXTENSIONS)))


def test_done_when_check_of_the_issue(nlp_en: Any) -> None:
    doc = nlp_en(EN)
    spans = list(doc.spans["calcifications"])
    assert [(s.text, s._.organ, s._.size_mm, s._.negation) for s in spans] == [
        ("calcification", "liver", 4.0, False),
        ("calcification", "spleen", None, True),
    ]
    assert spans[0]._.site == "segment_VII" and spans[0]._.pattern == "punctate" and spans[0]._.count == "single"
    assert spans[0]._.hypothesis is False and spans[0]._.history is False
    assert isinstance(spans[0]._.finding, Finding) and spans[0].label_ == "calcification"
    assert doc._.calcitrack_lang == "en"
    pickle.dumps(nlp_en)


@pytest.mark.parametrize(("text", "lang"), TEXTS)
def test_spans_are_exactly_what_read_report_finds(text: str, lang: str) -> None:
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("calcitrack.findings", config={"lang": lang})
    doc = nlp(text)  # a SpanGroup needs its Doc alive
    spans = list(doc.spans["calcifications"])
    findings = read_report(Report(text=text, lang=lang)).findings  # type: ignore[arg-type]
    assert findings, "the example must have findings"
    assert [s._.finding for s in spans] == findings
    for span, finding in zip(spans, findings, strict=True):
        assert finding.evidence is not None
        assert (span.start_char, span.end_char) == (finding.evidence.start, finding.evidence.end)
        assert span._.organ == finding.organ.value and span._.size_mm == finding.size_mm
        assert span._.count == finding.count and span._.site == finding.site
        assert span._.pattern == (finding.pattern.value if finding.pattern else None)
        assert (span._.negation, span._.hypothesis, span._.history) == (
            finding.negated, finding.uncertain, finding.historical)


def test_pipeline_survives_pickle_with_the_same_output(nlp_en: Any) -> None:
    text = TEXTS[1][0]
    doc_before = nlp_en(text)
    before = [_as_tuple(s) for s in doc_before.spans["calcifications"]]
    copy = pickle.loads(pickle.dumps(nlp_en))
    doc_after = copy(text)
    after = [_as_tuple(s) for s in doc_after.spans["calcifications"]]
    assert after == before and len(before) >= 2
    doc = pickle.loads(pickle.dumps(nlp_en(EN)))  # a processed doc travels too (Spark rows, queues)
    assert [s._.organ for s in doc.spans["calcifications"]] == ["liver", "spleen"]


def test_french_config_and_plain_spacy_pipeline() -> None:
    nlp = spacy.blank("fr")  # the spacy_factories entry point: no calcitrack import needed by the user
    nlp.add_pipe("calcitrack.findings", config={"lang": "fr", "span_key": "calc"})
    doc = nlp(FR)
    assert [(s._.organ, s._.size_mm, s._.negation) for s in doc.spans["calc"]] == [
        ("liver", 3.0, False), ("spleen", None, True)]
    assert doc._.calcitrack_lang == "fr"


def test_lang_null_detects_the_language_per_document() -> None:
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("calcitrack.findings", config={"lang": None})
    assert nlp(FR)._.calcitrack_lang == "fr" and nlp(EN)._.calcitrack_lang == "en"


def test_an_unknown_language_is_refused_when_the_pipe_is_added() -> None:
    nlp = edsnlp.blank("eds")
    with pytest.raises(ConfitValidationError, match=r"lang\n\s+input should be 'en' or 'fr', got 'de'"):
        nlp.add_pipe("calcitrack.findings", config={"lang": "de"})
    with pytest.raises(ConfitValidationError, match="lang"):
        CalcitrackFindings(nlp, lang="de")  # type: ignore[arg-type]


def test_extensions_register_once_and_two_components_coexist() -> None:
    set_extensions()
    set_extensions()
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("calcitrack.findings", name="en_reader", config={"lang": "en", "span_key": "en"})
    nlp.add_pipe("calcitrack.findings", name="fr_reader", config={"lang": "fr", "span_key": "fr"})
    doc = nlp(EN)
    assert len(doc.spans["en"]) == 2
    for name in (*FINDING_EXTENSIONS, *QUALIFIER_EXTENSIONS, "finding"):
        assert Span.has_extension(name)


def test_a_document_without_findings_has_an_empty_group(nlp_en: Any) -> None:
    doc = nlp_en("Normal abdominal ultrasound.")
    assert list(doc.spans["calcifications"]) == []


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Liver: no   evidence of calcification. Possible calcification in the spleen."),
    ("fr", "Foie : pas   de calcification. Probable calcification splénique."),
])
def test_reader_qualifiers_pickle_as_themselves(lang: str, text: str) -> None:
    """Pickling the reader's pipeline keeps the space-tolerant matcher (spaCy's own ``__reduce__`` would
    turn it into a plain PhraseMatcher) and so the same qualifiers; nothing global was patched to build it."""
    pipeline = get_pipeline(lang)
    copy = pickle.loads(pickle.dumps(pipeline))
    results = []
    for candidate in (pipeline, copy):
        assert all(isinstance(q.phrase_matcher, SpaceTolerantPhraseMatcher) for q in candidate.qualifiers)
        doc = candidate.prepare(text)
        doc.spans[SPAN_KEY] = [doc.char_span(m.start(), m.end()) for m in re.finditer("calcification", text)]
        candidate.qualify(doc)
        results.append([(s._.negation, s._.hypothesis) for s in doc.spans[SPAN_KEY]])
    assert results[0] == results[1] == [(True, False), (False, True)]
