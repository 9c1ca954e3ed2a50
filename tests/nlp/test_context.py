"""Patient context read from the report; the caller's context wins (service.analyze merges)."""

from __future__ import annotations

from calcitrack.models import PatientContext, Report
from calcitrack.nlp.context import read_context
from calcitrack.service import analyze


def test_english_history_lines() -> None:
    text = ("CLINICAL HISTORY: 67-year-old woman with a history of colon cancer, on hemodialysis.\n"
            "FINDINGS: A 4 mm calcification in the liver.")
    ctx = read_context(text, "en")
    assert (ctx.age, ctx.sex, ctx.known_primary_cancer, ctx.ckd_dialysis) == (67, "female", "colorectal", True)


def test_english_negated_and_unknown() -> None:
    ctx = read_context("No history of cancer. No fever. Calcification in the spleen.", "en")
    assert ctx.known_primary_cancer == "none"
    assert ctx.fever is False
    assert ctx.chronic_liver_disease is None  # unknown is not "no"


def test_french_context() -> None:
    text = ("Patiente âgée de 45 ans, antécédent de cancer du sein, retour d'un pays d'endémie hydatique. "
            "Cirrhose connue. Calcification hépatique de 8 mm.")
    ctx = read_context(text, "fr")
    assert ctx.age == 45 and ctx.sex == "female"
    assert ctx.known_primary_cancer == "breast"
    assert ctx.endemic_exposure is True
    assert ctx.chronic_liver_disease is True


def test_mucinous_colorectal() -> None:
    ctx = read_context("History of mucinous adenocarcinoma of the colon. Liver calcifications.", "en")
    assert ctx.known_primary_cancer == "colorectal_mucinous"


def test_caller_context_wins() -> None:
    report = Report(text="History of breast cancer. A 4 mm calcification in the liver.", lang="en")
    analysis = analyze(report, context=PatientContext(known_primary_cancer="colorectal"))
    assert analysis.context.known_primary_cancer == "colorectal"
    assert analyze(report).context.known_primary_cancer == "breast"


def test_cancer_known_from_its_treatment_or_the_request() -> None:
    # a cancer told with its treatment and year, or named as the reason for the exam, is known
    assert read_context("Clinical: sigmoid cancer resected 2020.\nFindings: liver normal.", "en") \
        .known_primary_cancer == "colorectal"
    assert read_context("Reason for exam: ovarian cancer restaging.", "en").known_primary_cancer == "ovarian"
    assert read_context("Clinique : cancer gastrique traité en 2019.", "fr").known_primary_cancer == "gastric"
    # looked for, not known
    assert read_context("Reason for exam: rule out malignancy.", "en").known_primary_cancer != "other"


def test_raised_phosphate_in_words() -> None:
    assert read_context("12-year-old boy, phosphate level elevated, normal creatinine.", "en").raised_phosphate
    assert read_context("Enfant de 12 ans, phosphorémie élevée, créatinine normale.", "fr").raised_phosphate


def test_abbreviated_cancer_and_age() -> None:
    assert read_context("History: colon CA, right hemicolectomy.", "en").known_primary_cancer == "colorectal"
    assert read_context("Contexte : K du poumon sous chimiothérapie.", "fr").known_primary_cancer == "lung"
    assert read_context("Serum Ca 2.4 mmol/L, phosphate normal.", "en").known_primary_cancer is None
    assert read_context("Indication: 64F with RUQ pain.", "en").age == 64
    assert read_context("Indication: 3 y/o boy, palpable mass.", "en").age == 3
    assert read_context("On haemodialysis for 8 yrs.", "en").age is None


# --- round 5: history headers, relatives, falls (sentences written for these tests) -----------------------


def test_every_sentence_of_a_history_line_tells_the_history() -> None:
    en = read_context("CLINICAL HISTORY: 58F. Serous carcinoma of the ovary, debulking 2023.\nFINDINGS: ...", "en")
    assert en.known_primary_cancer is not None and en.known_primary_cancer != "none"
    fr = read_context("Antécédents : patiente de 61 ans. Adénocarcinome du pancréas, DPC 2022.\nRésultats : ...", "fr")
    assert fr.known_primary_cancer is not None and fr.known_primary_cancer != "none"
    # a line without a history label keeps the sentence rule
    assert read_context("Liver: lesion suspicious for carcinoma.", "en").known_primary_cancer is None


def test_a_relatives_cancer_is_not_the_patients() -> None:
    en = read_context("HISTORY: Screening. No personal history of cancer. Colon cancer in her father.", "en")
    assert en.known_primary_cancer == "none"
    fr = read_context("Antécédents : aucun antécédent de cancer. Cancer du sein chez sa mère.", "fr")
    assert fr.known_primary_cancer == "none"


def test_a_fall_is_trauma_but_a_stroke_is_not() -> None:
    assert read_context("Clinical: thigh haematoma after a fall from a ladder.", "en").prior_trauma is True
    assert read_context("History: she fell on the stairs last year.", "en").prior_trauma is True
    assert read_context("History: cerebrovascular accident in 2019.", "en").prior_trauma is None
    assert read_context("Contexte : chute dans l'escalier.", "fr").prior_trauma is True
    assert read_context("Antécédents : accident vasculaire cérébral en 2019.", "fr").prior_trauma is None
