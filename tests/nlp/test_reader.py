"""read_report / extract: ids in text order, evidence spans, language, sections, kept negations."""

from __future__ import annotations

from calcitrack.models import Organ, Report, Section
from calcitrack.nlp import Reading, extract, read_report

TEXT = (
    "CLINICAL HISTORY: 55-year-old woman, history of colon cancer.\n"
    "FINDINGS:\nLIVER: A 5 mm punctate calcification in segment 7. No biliary dilatation.\n"
    "SPLEEN: No calcification.\n"
    "IMPRESSION: Stable 2.1 x 1.8 cm calcified granuloma in the spleen. "
    "Recommend follow-up ultrasound in 6 months."
)


def test_reading_contract() -> None:
    reading = read_report(Report(text=TEXT))
    assert isinstance(reading, Reading)
    assert reading.lang == "en"
    assert [f.id for f in reading.findings] == ["f1", "f2", "f3"]
    for f in reading.findings:
        assert f.evidence is not None and TEXT[f.evidence.start:f.evidence.end] == f.evidence.text
        assert f.lang == "en"
    starts = [f.evidence.start for f in reading.findings if f.evidence]
    assert starts == sorted(starts)
    assert reading.context.known_primary_cancer == "colorectal"
    assert reading.report_recommendations[0].interval == "P6M"


def test_findings_attributes_and_sections() -> None:
    f1, f2, f3 = read_report(Report(text=TEXT)).findings
    assert (f1.organ, f1.site, f1.size_mm, f1.pattern, f1.section) == (
        Organ.liver, "segment_VII", 5.0, "punctate", Section.findings)
    assert f2.negated and f2.organ == Organ.spleen  # negated findings are kept
    assert (f3.organ, f3.size_mm, f3.interval_change, f3.section) == (
        Organ.spleen, 21.0, "stable", Section.impression)


def test_extract_is_the_findings() -> None:
    assert extract(Report(text=TEXT)) == read_report(Report(text=TEXT)).findings


def test_report_without_target_is_empty() -> None:
    reading = read_report(Report(text="Normal abdominal ultrasound."))
    assert reading.findings == [] and reading.report_recommendations == []


def test_french_report() -> None:
    text = "Résultats : foie normal. Calcification de 2,5 cm du segment VI.\nConclusion : calcification hépatique."
    findings = read_report(Report(text=text)).findings
    assert [f.lang for f in findings] == ["fr", "fr"]
    assert findings[0].site == "segment_VI" and findings[0].size_mm == 25.0
    assert findings[1].section == Section.impression


def test_prefilter_off_gives_the_same_findings() -> None:
    assert read_report(Report(text=TEXT), prefilter=False).findings == read_report(Report(text=TEXT)).findings
