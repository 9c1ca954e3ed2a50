"""The clinician summary: every part the issue asks for, in text, Markdown, HTML and JSON."""

from __future__ import annotations

import json

from calcitrack.explain import build_document, explain_analysis
from calcitrack.kb import KnowledgeBase
from calcitrack.models import Analysis


def test_summary_has_action_differential_recommendations_missing_information_and_sources(
    analyses: dict[str, Analysis], kb: KnowledgeBase
) -> None:
    doc = build_document(analyses["large"], lang="en", audience="clinician", kb=kb)
    keys = [section.key for section in doc.sections]
    assert keys[:2] == ["report", "lesion-1"]
    assert {"differential-1", "recommendations-1"} <= set(keys)
    overview = [item.text for item in doc.sections[1].items]
    assert overview[0] == "Action: Further work-up"
    assert any(text.startswith("Rules fired: R") for text in overview)
    differential = next(s for s in doc.sections if s.key == "differential-1")
    assert differential.style == "numbered"
    ranked = [e.condition_id for e in analyses["large"].assessments[0].differential]
    names = [kb.conditions[c].name("en") for c in ranked]
    assert [item.text.split(" (")[0].lower() for item in differential.items] == [n.lower() for n in names]
    assert all(item.sources for item in differential.items)
    cited = {s for item in doc.items() for s in item.sources}
    assert cited and cited == {ref.id for ref in doc.sources}


def test_markdown_links_every_source_with_a_url(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = explain_analysis(analyses["granuloma"], "en", "clinician", "markdown", kb=kb)
    assert text.startswith("# Clinician summary")
    assert "## Differential" in text
    for source_id in analyses["granuloma"].assessments[0].sources:
        url = kb.sources[source_id].url
        if url:
            assert f"]({url})" in text


def test_policy_disagreement_is_shown(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    """Standard says no follow-up; the summary must also say what the seed policy would do, and why."""
    text = explain_analysis(analyses["granuloma"], "en", "clinician", kb=kb)
    assert "Action: No follow-up needed" in text
    assert "Under the other policy" in text
    assert "every 3 to 6 months for 2 to 3 years" in text
    assert "[S3]" in text and "002_c8ceab6e90325564.txt" not in text  # the seed, by its reference number
    reverse = explain_analysis(analyses["granuloma_seed"], "en", "clinician", kb=kb)
    assert "Under the other policy (Standard" in reverse


def test_missing_information_is_listed(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    assessment = analyses["granuloma"].assessments[0]
    assert assessment.missing_information, "the scenario needs open questions to test this"
    text = explain_analysis(analyses["granuloma"], "fr", "clinician", kb=kb)
    assert "Modifierait la conduite" in text
    french = {q.id: q.text.fr for q in kb.questions}
    for qid in assessment.missing_information_ids:
        assert french[qid] in text


def test_french_summary_has_french_reasons(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = explain_analysis(analyses["granuloma"], "fr", "clinician", kb=kb)
    assert "Synthèse pour le clinicien" in text
    assert "Healed granuloma" not in text
    assert "granulome" in text.lower()


def test_json_and_html_formats(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    data = json.loads(explain_analysis(analyses["cancer"], "en", "clinician", "json", kb=kb))
    assert data["audience"] == "clinician"
    assert data["sections"][0]["items"][0]["text"] == (
        "Report action: Urgent: contact the clinician within days (set by lesion 1)"
    )
    assert data["sections"][1]["items"][0]["text"] == "Action: Urgent: contact the clinician within days"
    html = explain_analysis(analyses["cancer"], "en", "clinician", "html", kb=kb)
    assert html.startswith("<!DOCTYPE html>") and "<ol>" in html and "</html>" in html
