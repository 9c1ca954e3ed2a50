"""Issue 15 ("Lesions, not mentions"): the reading mechanisms that feed lesion grouping and the rules.

Characterisation, negation scope across clauses, history cues, organ attribution (lesion noun, two organs,
primary tumour), counts in words, context lines, linked mentions, the size of a stone, bile-duct stones,
the report's recommendation and a ``lang`` the text contradicts. Sentences are written for these tests.
"""

from __future__ import annotations

import pytest
from tests.nlp.conftest import finding, read

from calcitrack.models import CHARACTERISATIONS, Organ, Report
from calcitrack.nlp import read_report
from calcitrack.nlp.lexicon import LEXICON_DIR, get_lexicon, load_lexicon_file


def labels(text: str, anchor: str, lang: str) -> list[str]:
    return [c.label for c in finding(text, anchor, lang).characterisation]


# --- 1. characterisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "anchor", "expected"),
    [
        ("en", "Spleen: a 3 mm calcification, compatible with an old healed granuloma.", "calcification",
         {"granuloma", "sequela"}),
        ("en", "Segment 3 calcification, stable since 2018, of no clinical significance.", "calcification",
         {"stable", "insignificant"}),
        ("en", "Right lobe: calcified echinococcal cyst, WHO CE5.", "calcified", {"hydatid", "cyst", "ce5"}),
        ("en", "Dense deposit of lipiodol with calcification after chemoembolization in segment 8.",
         "calcification", {"lipiodol"}),
        ("en", "Periarticular tumoral calcinosis of the left hip.", "calcinosis", {"tumoral_calcinosis"}),
        ("en", "Coarse hepatic calcification, worrisome for a calcified metastatic deposit.", "calcification",
         {"suspicious", "metastasis"}),
        ("fr", "Foie : calcification millimétrique du segment II, d'allure bénigne.", "calcification",
         {"small", "benign"}),
        ("fr", "Rate : petites calcifications séquellaires, inchangées.", "calcifications",
         {"small", "sequela", "stable"}),
        ("fr", "Kyste hydatique calcifié du segment VI, stade CE4.", "calcifié", {"hydatid", "cyst", "ce4"}),
        ("fr", "Calcinose pseudo-tumorale de l'épaule droite.", "Calcinose", {"tumoral_calcinosis"}),
        ("fr", "Foie : calcification grossière en rapport avec une métastase calcifiée.", "calcification",
         {"metastasis"}),
    ],
)
def test_characterisation_from_the_sentence(lang: str, text: str, anchor: str, expected: set[str]) -> None:
    assert expected <= set(labels(text, anchor, lang))


def test_characterisation_evidence_is_a_span_of_the_report() -> None:
    text = "Liver: tiny calcification in segment 4, consistent with a granuloma."
    f = finding(text, "calcification", "en")
    assert f.characterisation
    for c in f.characterisation:
        assert c.label in CHARACTERISATIONS
        assert c.evidence is not None and text[c.evidence.start:c.evidence.end] == c.evidence.text


@pytest.mark.parametrize(
    ("lang", "text", "anchor", "absent"),
    [
        ("en", "Liver: calcification in segment 5 without any suspicious feature.", "calcification", "suspicious"),
        ("en", "Spleen: calcified focus, no features of a malignant process.", "calcified", "suspicious"),
        ("en", "Liver: calcification, not benign in appearance.", "calcification", "benign"),
        ("fr", "Foie : calcification du segment V sans caractère suspect.", "calcification", "suspicious"),
        ("fr", "Rate : calcification, pas de critère de malignité.", "calcification", "suspicious"),
    ],
)
def test_denied_characterisation_is_not_set(lang: str, text: str, anchor: str, absent: str) -> None:
    assert absent not in labels(text, anchor, lang)


def test_characterisation_belongs_to_its_own_mention() -> None:
    text = "A calcified granuloma in the spleen and a minute calcification in the liver."
    assert "small" not in labels(text, "calcified granuloma", "en")
    assert "granuloma" not in labels(text, "calcification", "en")
    assert "small" in labels(text, "calcification", "en")


@pytest.mark.parametrize(
    ("lang", "text", "anchor", "absent"),
    [
        ("en", "Liver: calcification in segment 7 and a worrisome 3 cm mass in the pancreatic tail.", "calcification",
         "suspicious"),
        ("fr", "Rate : calcification et volumineuse masse suspecte de la queue du pancréas.", "calcification",
         "suspicious"),
    ],
)
def test_coordinated_other_object_does_not_characterise(lang: str, text: str, anchor: str, absent: str) -> None:
    assert absent not in labels(text, anchor, lang)
    assert finding(text, anchor, lang).organ != Organ.other


def test_coordinated_part_of_the_lesion_still_characterises() -> None:
    text = "Foie : kyste hydatique de 7 cm du segment VIII et une paroi épaisse siège de calcifications."
    assert {"hydatid", "cyst"} <= set(labels(text, "calcifications", "fr"))


def test_size_adjective_must_be_in_the_noun_phrase() -> None:
    text = "Liver: calcification in segment 7 measuring 9 mm, with small volume ascites nearby."
    assert "small" not in labels(text, "calcification", "en")


@pytest.mark.parametrize(
    ("lang", "text", "anchor", "label"),
    [
        ("en", "Liver: 4 mm calcification in segment 2. Most likely granulomatous.", "calcification", "granuloma"),
        ("fr", "Foie : calcification de 4 mm du segment II. Aspect séquellaire.", "calcification", "sequela"),
    ],
)
def test_comment_sentence_characterises_the_previous_mention(lang: str, text: str, anchor: str, label: str) -> None:
    assert label in labels(text, anchor, lang)


def test_negated_mentions_get_no_characterisation() -> None:
    assert labels("Liver: no suspicious calcification.", "calcification", "en") == []


# --- 2. negation scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Spleen: new 2 cm lesion with dense calcifications, not seen on the previous examination.",
         "calcifications"),
        ("en", "Liver: punctate calcification in segment 6, absent on the prior CT.", "calcification"),
        ("fr", "Rate : lésion de 2 cm contenant des calcifications, non visible sur l'examen précédent.",
         "calcifications"),
        ("fr", "Foie : calcification du segment VI, absente sur l'examen antérieur.", "calcification"),
        ("en", "Liver: calcified nodule in segment 2, not visible on the MRI of 2020.", "calcified"),
        ("fr", "Foie : calcification du segment II, qui n'était pas présente sur le scanner de 2020.", "calcification"),
    ],
)
def test_absent_on_the_prior_means_new(lang: str, text: str, anchor: str) -> None:
    f = finding(text, anchor, lang)
    assert not f.negated
    assert f.interval_change == "new"


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Liver: no focal lesion; calcification noted in segment 8.", "calcification"),
        ("en", "Spleen: no mass, a calcification is seen at the hilum.", "calcification"),
        ("fr", "Rate : pas de lésion focale, calcification visible au hile.", "calcification"),
    ],
)
def test_negation_stops_at_the_clause(lang: str, text: str, anchor: str) -> None:
    assert not finding(text, anchor, lang).negated


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Spleen: no cyst, nodule or calcification seen.", "calcification"),
        ("en", "Liver: no mass, no calcification seen.", "calcification"),
        ("fr", "Foie : pas de nodule, ni de calcification.", "calcification"),
        ("fr", "Foie : la calcification du segment III n'est plus visible.", "calcification"),
    ],
)
def test_lists_and_denials_stay_negated(lang: str, text: str, anchor: str) -> None:
    assert finding(text, anchor, lang).negated


def test_french_non_after_the_mention_negates_the_next_word() -> None:
    f = finding("Conclusion : masse hépatique calcifiée non rehaussée.", "calcifiée", "fr")
    assert not f.negated


# --- 3. history ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "PAST HISTORY: histoplasmosis treated in 2005.\nSpleen: several calcified granulomas.",
         "calcified granulomas"),
        ("en", "Spleen: known calcified granuloma, again seen.", "calcified granuloma"),
        ("en", "Liver: the calcification previously described in segment 4 is unchanged.", "calcification"),
        ("fr", "Antécédents : tuberculose pulmonaire traitée.\nRate : calcifications multiples.", "calcifications"),
        ("fr", "Foie : calcification déjà connue du segment VII, persistante.", "calcification"),
    ],
)
def test_patient_history_does_not_make_findings_historical(lang: str, text: str, anchor: str) -> None:
    assert not finding(text, anchor, lang).historical


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Indication: hepatic abscess drained in 2019, calcification described in 2020.\n"
               "Findings: normal liver.", "calcification"),
        ("fr", "Indication : kyste du foie opéré ; calcification découverte en 2017.\nRésultats : foie normal.",
         "calcification"),
    ],
)
def test_dated_mention_in_a_history_section_is_historical(lang: str, text: str, anchor: str) -> None:
    assert finding(text, anchor, lang).historical


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Spleen: calcified granuloma, noted in the past, still present.", "calcified granuloma"),
        ("fr", "Rate : calcification connue depuis l'hospitalisation de 2019, toujours présente.", "calcification"),
    ],
)
def test_history_cue_with_a_present_finding_is_current(lang: str, text: str, anchor: str) -> None:
    assert not finding(text, anchor, lang).historical


def test_weak_soft_tissue_cue_loses_to_the_organ_named_first() -> None:
    f = finding("Foie : calcification séquellaire d'un abcès drainé autrefois.", "calcification", "fr")
    assert f.organ == Organ.liver


def test_unchanged_is_stable() -> None:
    assert finding("Spleen: calcified granuloma, unchanged.", "calcified granuloma", "en").interval_change == "stable"


# --- 4. organ attribution ------------------------------------------------------------------------------


def test_lobe_with_a_hepatic_lesion_noun_is_the_liver() -> None:
    f = finding("Calcified echinococcal cyst in the left lobe.", "Calcified", "en")
    assert (f.organ, f.site) == (Organ.liver, "left_lobe")


def test_lobe_alone_stays_ambiguous() -> None:
    assert finding("Calcification in the left lobe.", "Calcification", "en").organ == Organ.other


def test_hydatid_daughter_cysts_are_not_the_gallbladder() -> None:
    text = "Foie : kyste multivésiculaire du segment II avec vésicules filles et paroi siège de calcifications."
    assert finding(text, "calcifications", "fr").organ == Organ.liver


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("Impression: calcified left hepatic mass.", "left_lobe"),
        ("Liver: 4 mm calcified granuloma in the R lobe.", "right_lobe"),
    ],
)
def test_lobe_abbreviations_and_sided_hepatic(text: str, site: str) -> None:
    assert read(text, "en").findings[0].site == site


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Liver: 3 mm calcification in the right lobe.", "calcification"),
        ("fr", "Foie : calcification de 3 mm du lobe droit.", "calcification"),
    ],
)
def test_lobe_site_under_a_liver_header(lang: str, text: str, anchor: str) -> None:
    f = finding(text, anchor, lang)
    assert (f.organ, f.site) == (Organ.liver, "right_lobe")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Scattered hepatosplenic calcified granulomas."),
        ("en", "Numerous calcifications in the liver and spleen."),
        ("fr", "Multiples calcifications hépatospléniques."),
        ("fr", "Calcifications punctiformes du foie et de la rate."),
    ],
)
def test_two_organs_give_one_finding_per_organ(lang: str, text: str) -> None:
    findings = read(text, lang).findings
    assert sorted(f.organ for f in findings) == [Organ.liver, Organ.spleen]
    assert len({(f.evidence.start, f.evidence.end) for f in findings if f.evidence}) == 1
    assert len({f.id for f in findings}) == 2


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Liver: 2 cm lesion in segment 5, concerning for a calcified metastasis from the known rectal "
               "cancer.", "calcified"),
        ("en", "Calcified lesion of segment 8, suspicious for metastasis of a pancreatic carcinoma.", "Calcified"),
        ("fr", "Nodule calcifié du segment VI, évoquant une métastase d'un cancer du côlon.", "calcifié"),
    ],
)
def test_primary_tumour_organ_is_not_the_lesion_organ(lang: str, text: str, anchor: str) -> None:
    assert finding(text, anchor, lang).organ == Organ.liver


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Hypodense lesion of segment 6 partly calcified with enlarged hilar nodes.", "calcified"),
        ("fr", "Lésion hépatique du segment VI partiellement calcifiée avec adénopathies hilaires.", "calcifiée"),
    ],
)
def test_structure_after_with_does_not_give_the_organ(lang: str, text: str, anchor: str) -> None:
    assert finding(text, anchor, lang).organ == Organ.liver


def test_peritoneal_implants_are_not_the_previous_organ() -> None:
    text = "Liver: calcified metastasis in segment 4.\nPeritoneum: calcified implants in the left paracolic gutter."
    assert read(text, "en").findings[-1].organ == Organ.other


# --- 5. counts in words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "anchor", "count"),
    [
        ("en", "Spleen: a few calcifications.", "calcifications", "multiple"),
        ("en", "Spleen: innumerable tiny calcifications.", "calcifications", "multiple"),
        ("en", "Liver: three calcifications in segment 7.", "calcifications", 3),
        ("en", "Liver: a single calcification in segment 7.", "calcification", "single"),
        ("en", "Liver: stable 4 mm hepatic calcification in segment 2.", "calcification", "single"),
        ("fr", "Rate : quelques calcifications.", "calcifications", "multiple"),
        ("fr", "Foie : deux calcifications du segment IV.", "calcifications", 2),
        ("fr", "Foie : une seule calcification du segment IV.", "calcification", "single"),
        ("fr", "Conclusion :\n1. Calcification hépatique de 6 mm du segment II.", "Calcification", "single"),
        ("en", "Impression: small segment VI hepatic calcification, benign.", "calcification", "single"),
        ("en", "Hila: calcified left hilar and subcarinal lymph nodes.", "calcified", "multiple"),
    ],
)
def test_counts(lang: str, text: str, anchor: str, count: object) -> None:
    assert finding(text, anchor, lang).count == count


@pytest.mark.parametrize(
    ("lang", "text", "anchor"),
    [
        ("en", "Aorta: extensive vascular calcification.", "calcification"),
        ("en", "Liver: hypodense lesion with calcification.", "calcification"),
        ("fr", "Foie : la calcification du segment II.", "calcification"),
        ("fr", "Conclusion : lithiase vésiculaire.", "lithiase"),
    ],
)
def test_mass_nouns_and_anaphora_have_no_count(lang: str, text: str, anchor: str) -> None:
    assert finding(text, anchor, lang).count is None


# --- 6. context lines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "site"),
    [
        ("fr", "Contexte : adénocarcinome mucineux du rectum opéré en 2021.\nRésultats : calcification du "
               "segment V.", "colorectal_mucinous"),
        ("fr", "Contexte : cancer du sein.\nRésultats : calcification du segment V.", "breast"),
        ("en", "Clinical information: mucinous carcinoma of the colon, resected.\nFindings: calcification in "
               "segment 5.", "colorectal_mucinous"),
    ],
)
def test_context_lines_set_the_primary_cancer(lang: str, text: str, site: str) -> None:
    assert read(text, lang).context.known_primary_cancer == site


def test_requested_serology_is_not_an_exposure() -> None:
    text = "Foie : calcification du segment VI. Sérologie hydatique recommandée."
    assert read(text, "fr").context.endemic_exposure is None


# --- 7. linked mentions --------------------------------------------------------------------------------


def test_linked_mentions_share_organ_and_site() -> None:
    text = "LIVER: 5 mm echogenic focus in the right lobe with shadowing, consistent with a punctate calcification."
    a = finding(text, "echogenic focus", "en")
    b = finding(text, "calcification", "en")
    assert (a.organ, a.site) == (b.organ, b.site) == (Organ.liver, "right_lobe")


def test_linked_mention_takes_the_organ_of_the_first() -> None:
    text = "Spleen: hyperechoic focus, in keeping with a tiny calcified granuloma."
    assert finding(text, "calcified granuloma", "en").organ == Organ.spleen


# --- 8 and 9. bile-duct stones and their size ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "anchor", "size"),
    [
        ("en", "The CBD measures 10 mm and contains a 7 mm stone.", "stone", 7.0),
        ("en", "Common duct dilated to 12 mm, with a shadowing stone in its distal part.", "stone", None),
        ("fr", "VBP dilatée à 12 mm contenant un calcul de 6 mm.", "calcul", 6.0),
        ("fr", "Calculs cholédociens, le plus gros de 5 mm.", "Calculs cholédociens", 5.0),
    ],
)
def test_bile_duct_stone(lang: str, text: str, anchor: str, size: float | None) -> None:
    f = finding(text, anchor, lang)
    assert (f.organ, f.site, f.size_mm) == (Organ.biliary, "common_bile_duct", size)
    assert "stone" in [c.label for c in f.characterisation]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Gallbladder: several stones. CBD 4 mm."),
        ("fr", "Vésicule lithiasique contenant un calcul de 12 mm. VBP fine."),
        ("en", "Kidney: 5 mm stone in the lower pole."),
    ],
)
def test_stones_outside_the_bile_duct_are_not_targets(lang: str, text: str) -> None:
    assert read(text, lang).findings == []


def test_choledocholithiasis_is_a_disease_noun() -> None:
    f = finding("Impression: choledocholithiasis.", "choledocholithiasis", "en")
    assert (f.organ, f.site, f.count) == (Organ.biliary, "common_bile_duct", None)


# --- 10. the report's recommendation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "sentence", "modality", "none"),
    [
        ("en", "ERCP recommended.", "ERCP", False),
        ("en", "Contrast-enhanced MRI is advised.", "MR", False),
        ("en", "No further follow-up is needed.", None, True),
        ("fr", "Sérologies hydatiques recommandées.", "lab", False),
        ("fr", "Bilan phosphocalcique recommandé.", "lab", False),
        ("fr", "Lésion à contrôler par IRM.", "MR", False),
        ("fr", "Aucun suivi nécessaire.", None, True),
    ],
)
def test_report_recommendations(lang: str, sentence: str, modality: str | None, none: bool) -> None:
    body = "Liver: calcification in segment 3. " if lang == "en" else "Foie : calcification du segment III. "
    recs = read(body + sentence, lang).report_recommendations
    assert [(r.modality, r.no_followup) for r in recs] == [(modality, none)]


# --- 11. a language the text contradicts --------------------------------------------------------------


FRENCH = ("Résultats : le foie est de taille normale, avec une calcification du segment VII de 4 mm, sans "
          "lésion associée. La rate et le pancréas sont normaux. Il n'y a pas de dilatation des voies biliaires "
          "et la vésicule est normale. Conclusion : calcification hépatique de la taille d'un grain.")


def test_contradicted_lang_reads_the_detected_language_and_warns() -> None:
    reading = read_report(Report(text=FRENCH, lang="en"))
    assert reading.lang == "fr"
    assert reading.findings and reading.findings[0].organ == Organ.liver
    assert len(reading.warnings) == 1
    warning = reading.warnings[0]
    assert "English" in warning and "French" in warning
    assert "calcification" not in warning and "\n" not in warning


def test_consistent_or_undecided_lang_gives_no_warning() -> None:
    assert read_report(Report(text=FRENCH, lang="fr")).warnings == []
    assert read_report(Report(text="Calcification.", lang="fr")).warnings == []


# --- lexicon -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_lexicon_characterisation_labels_are_known(lang: str) -> None:
    lex = get_lexicon(lang)
    assert set(lex.characterisations) <= set(CHARACTERISATIONS)
    assert {"granuloma", "small", "suspicious", "stone", "stable"} <= set(lex.characterisations)


def test_unknown_characterisation_label_is_rejected(tmp_path: pytest.TempPathFactory) -> None:
    import yaml

    from calcitrack.errors import InputError

    data = yaml.safe_load((LEXICON_DIR / "lexicon.en.yaml").read_text(encoding="utf-8"))
    data["characterisations"]["glittery"] = {"regex": "glitter"}
    path = tmp_path / "lexicon.en.yaml"  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="characterisations"):
        load_lexicon_file(path)


def test_rims_and_tiny_are_patterns() -> None:
    assert finding("Spleen: cystic lesions with calcified rims.", "calcified", "en").pattern == "rim"
    assert finding("Liver: tiny calcification in segment 2.", "calcification", "en").pattern == "punctate"
