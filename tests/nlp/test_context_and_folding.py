"""Patient context read from report lines, and disease nouns folded into the lesion they name.

Sentences are written for these tests (not taken from the gold files), in English and French.
"""

from __future__ import annotations

import pytest

from calcitrack.models import Pattern, Report
from calcitrack.nlp import read_report
from calcitrack.nlp.attributes import read_pattern
from calcitrack.nlp.context import read_context


@pytest.mark.parametrize(
    ("text", "lang", "field", "expected"),
    [
        # a negation reaches its own sentence only, found before the text is folded to lower case
        ("Renseignements : éleveur de 61 ans. Bilan biologique normal, pas d'ictère.", "fr", "jaundice", False),
        ("Clinical information: 61-year-old farmer. Normal labs, no jaundice.", "en", "jaundice", False),
        ("Foie non cirrhotique, de contours réguliers.", "fr", "chronic_liver_disease", False),
        ("The liver is non-cirrhotic.", "en", "chronic_liver_disease", False),
        ("Échographie obstétricale du 2e trimestre : foie fœtal hyperéchogène.", "fr", "fetal_finding", True),
        ("PRENATAL ULTRASOUND. The fetal liver shows two bright foci.", "en", "fetal_finding", True),
    ],
)
def test_context_flags(text: str, lang: str, field: str, expected: bool) -> None:
    assert getattr(read_context(text, lang), field) is expected


@pytest.mark.parametrize(
    ("text", "lang", "age"),
    [
        ("History: 30-month-old girl, abdominal swelling.", "en", 2),
        ("Renseignements : nourrisson de 14 mois, masse abdominale.", "fr", 1),
        ("History: 45-year-old man.", "en", 45),
    ],
)
def test_age_in_months_is_read_in_whole_years(text: str, lang: str, age: int) -> None:
    assert read_context(text, lang).age == age


def test_a_differential_diagnosis_is_not_a_known_cancer() -> None:
    text = (
        "Indication : douleurs. Pas d'antécédent.\n"
        "Conclusion : lésion kystique calcifiée du segment V évoquant une néoplasie kystique."
    )
    assert read_context(text, "fr").known_primary_cancer in (None, "none")


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("a stellate central scar, hypodense, containing coarse calcifications", "en"),
        ("une cicatrice centrale étoilée, hypodense, contenant des calcifications grossières", "fr"),
    ],
)
def test_where_in_the_lesion_wins_over_texture(sentence: str, lang: str) -> None:
    anchor = "calcifications"
    start = sentence.index(anchor)
    assert read_pattern(sentence, start, start + len(anchor), anchor, lang) == Pattern.central_scar


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Calcified soft-tissue mass of the thigh with cortical erosion of the femur: sarcoma to be excluded.", "en"),
        ("Masse calcifiée des parties molles de la cuisse avec érosion corticale : sarcome à éliminer.", "fr"),
    ],
)
def test_a_malignancy_to_exclude_makes_the_lesion_suspicious(text: str, lang: str) -> None:
    (finding,) = read_report(Report(text=text, lang=lang)).findings
    assert "suspicious" in {c.label for c in finding.characterisation}


def test_infiltrative_lesion_containing_calcifications_is_a_mass() -> None:
    reading = read_report(Report(
        text="Lésion infiltrante du segment VI contenant de multiples calcifications en amas.", lang="fr"
    ))
    assert [f.associated_mass for f in reading.findings] == [True]
    reading = read_report(Report(
        text="Foie : calcification de 6 mm du segment VI, sans composante tissulaire.", lang="fr"
    ))
    assert [f.associated_mass for f in reading.findings] == [False]


def test_disease_noun_restating_a_described_lesion_is_folded_into_it() -> None:
    text = (
        "FINDINGS: The CBD measures 9 mm and contains two echogenic foci with posterior shadowing, up to 7 mm.\n"
        "IMPRESSION: Choledocholithiasis."
    )
    findings = read_report(Report(text=text, lang="en")).findings
    assert [f.evidence.text for f in findings if f.evidence] == ["echogenic foci"]
    assert "stone" in {c.label for c in findings[0].characterisation}


def test_disease_noun_alone_is_the_lesion() -> None:
    findings = read_report(Report(text="IMPRESSION: Choledocholithiasis with a dilated CBD.", lang="en")).findings
    assert [(f.organ.value, f.site) for f in findings] == [("biliary", "common_bile_duct")]


@pytest.mark.parametrize(
    ("text", "lang", "field", "expected"),
    [
        ("History: HIV negative, asymptomatic.", "en", "immunosuppressed", False),
        ("Renseignements : sérologie VIH négative.", "fr", "immunosuppressed", False),
        ("Clinical information: AFP 640 ng/mL.", "en", "raised_afp", True),
        ("Clinical information: AFP 4 ng/mL, normal.", "en", "raised_afp", None),
        ("Renseignements : alpha-fœtoprotéine nettement élevée.", "fr", "raised_afp", True),
        ("History: splenic contusion after a motor vehicle collision in 2015.", "en", "prior_trauma", True),
        ("Antécédents : contusion splénique post-traumatique en 2015.", "fr", "prior_trauma", True),
    ],
)
def test_more_context_cues(text: str, lang: str, field: str, expected: bool | None) -> None:
    assert getattr(read_context(text, lang), field) is expected


@pytest.mark.parametrize(
    ("text", "lang", "organ", "site"),
    [
        ("Echogenic focus of segment IV, away from the bile ducts, consistent with a calcification.", "en",
         "liver", "segment_IV"),
        ("Image hyperéchogène du segment IV, à distance des voies biliaires, correspondant à une calcification.",
         "fr", "liver", "segment_IV"),
        ("Heterogeneous mass of the left liver, hypervascular on the arterial phase, with coarse calcifications.",
         "en", "liver", "left_lobe"),
        ("Porcelain gallbladder with mural calcification.", "en", "biliary", "gallbladder_wall"),
        ("Calcifications de la paroi vésiculaire.", "fr", "biliary", "gallbladder_wall"),
        ("62 mm soft-tissue mass of the popliteal fossa with amorphous calcifications.", "en",
         "soft_tissue", "popliteal"),
    ],
)
def test_organ_and_site(text: str, lang: str, organ: str, site: str | None) -> None:
    findings = read_report(Report(text=text, lang=lang)).findings
    assert (findings[-1].organ.value, findings[-1].site) == (organ, site)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("No perihepatic calcification.", "en"), ("Pas de calcification péri-hépatique.", "fr")],
)
def test_perihepatic_is_not_the_liver(text: str, lang: str) -> None:
    (finding,) = read_report(Report(text=text, lang=lang)).findings
    assert finding.organ.value == "other" and finding.negated


def test_rather_than_denies_the_calcification() -> None:
    text = "Dense hyperattenuation of the treated nodule, representing retained lipiodol rather than calcification."
    (finding,) = read_report(Report(text=text, lang="en")).findings
    assert finding.negated


def test_discrete_is_a_size_not_a_hedge_in_french_radiology() -> None:
    (finding,) = read_report(Report(text="Discrète calcification coronaire.", lang="fr")).findings
    assert not finding.uncertain
    (finding,) = read_report(Report(
        text="Petit écho brillant du foie, pouvant correspondre à une calcification.", lang="fr"
    )).findings
    assert finding.uncertain


@pytest.mark.parametrize(
    ("text", "lang", "count"),
    [
        ("Séquelles : ganglions calcifiés et petit granulome calcifié hépatique.", "fr", "single"),
        ("Étage abdominal : granulome calcifié de 4 mm du segment VIII.", "fr", "single"),
        ("Scattered calcified granulomas in the spleen.", "en", "multiple"),
    ],
)
def test_a_lesion_phrase_counts_by_its_head_noun(text: str, lang: str, count: str) -> None:
    finding = read_report(Report(text=text, lang=lang)).findings[-1]
    assert finding.count == count


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Febrile patient. Liver: calcified lesion of segment VI with rim enhancement and a fluid component.", "en"),
        ("Patient fébrile. Foie : lésion calcifiée du segment VI avec rehaussement périphérique.", "fr"),
    ],
)
def test_signs_of_an_active_abscess_are_read(text: str, lang: str) -> None:
    finding = read_report(Report(text=text, lang=lang)).findings[-1]
    assert "abscess" in {c.label for c in finding.characterisation}


@pytest.mark.parametrize(
    ("text", "lang", "historical"),
    [
        ("The prior ultrasound of 3/14/2021 questioned an echogenic focus in segment VI. Today the liver is normal.",
         "en", True),
        ("L'échographie du 14/03/2021 évoquait une calcification du segment VI. Foie normal ce jour.", "fr", True),
        ("The calcification described on the prior CT is stable, 5 mm, in segment VI.", "en", False),
        ("The calcification seen on the prior CT now measures 12 mm.", "en", False),
        ("Compared with the previous exam, new coarse calcification in segment II.", "en", False),
    ],
)
def test_a_finding_placed_on_an_earlier_exam_is_historical(text: str, lang: str, historical: bool) -> None:
    finding = read_report(Report(text=text, lang=lang)).findings[0]
    assert finding.historical is historical


@pytest.mark.parametrize(
    ("text", "lang", "historical"),
    [
        ("Lors de l'hospitalisation de 2015, une calcification hépatique avait été décrite. Foie normal ce jour.",
         "fr", True),
        ("A calcification had been described in the spleen. The spleen is normal now.", "en", True),
        ("Previously, an echogenic focus was reported in segment VI in 2016; it is not seen today.", "en", True),
        # the follow-up of a known finding is today's problem, not a past one
        ("Indication : suivi d'une calcification hépatique découverte en 2018.", "fr", False),
        ("INDICATION: Follow-up of a splenic calcification seen on the prior CT.", "en", False),
        ("History: right hepatectomy in 2018 for a calcified hydatid cyst.\nFindings: post-surgical changes.",
         "en", True),
    ],
)
def test_past_tense_and_follow_up_indications(text: str, lang: str, historical: bool) -> None:
    finding = read_report(Report(text=text, lang=lang)).findings[0]
    assert finding.historical is historical


@pytest.mark.parametrize(
    ("text", "lang", "cancer"),
    [
        ("INDICATION: annual lung cancer screening, 30 pack-years.", "en", None),
        ("Indication : dépistage du cancer du poumon.", "fr", None),
        ("History: colon cancer resected in 2020.", "en", "colorectal"),
    ],
)
def test_a_cancer_looked_for_is_not_a_known_cancer(text: str, lang: str, cancer: str | None) -> None:
    assert read_context(text, lang).known_primary_cancer == cancer


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Liver: two punctate calcifications in segment VII, the larger 3 mm.", "en"),
        ("Foie : trois calcifications du segment VII, la plus volumineuse de 3 mm.", "fr"),
    ],
)
def test_the_larger_of_a_group_is_not_growth(text: str, lang: str) -> None:
    finding = read_report(Report(text=text, lang=lang)).findings[0]
    assert finding.interval_change is None
