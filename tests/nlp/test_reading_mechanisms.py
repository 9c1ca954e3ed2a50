"""Mention-reading mechanisms added for the third development set (organ, site, qualifiers, pattern,
count). One group per mechanism, each with English and French sentences written for these tests."""

from __future__ import annotations

from calcitrack.models import Finding, IntervalChange, Organ, Report
from calcitrack.nlp import read_report


def _read(text: str, lang: str) -> list[Finding]:
    return read_report(Report(text=text, lang=lang)).findings


def _one(text: str, lang: str, anchor: str | None = None) -> Finding:
    found = [f for f in _read(text, lang) if anchor is None or (f.evidence and f.evidence.text == anchor)]
    assert found, text
    return found[0]


# --- organ: an organ header beats a weak cue of the sentence ---------------------------------------------

def test_organ_header_beats_weak_cue() -> None:
    en = _one("FINDINGS:\nLiver: Two punctate calcifications in S6, without surrounding soft tissue.\n", "en")
    assert (en.organ, en.site) == (Organ.liver, "segment_VI")
    fr = _one("Résultats :\nFoie : deux calcifications punctiformes en S6, sans infiltration des parties "
              "molles.\n", "fr")
    assert (fr.organ, fr.site) == (Organ.liver, "segment_VI")


# --- organ: a later item of a denied list does not give its organ -----------------------------------------

def test_denied_list_item_gives_no_organ() -> None:
    en = _one("Findings: Fatty liver. No nodule, no calcification, no biliary dilatation.", "en")
    assert en.negated and en.organ == Organ.liver
    fr = _one("Résultats : Stéatose hépatique. Pas de nodule, pas de calcification, pas de dilatation des voies "
              "biliaires.", "fr")
    assert fr.negated and fr.organ == Organ.liver


# --- organ: the previous finding does not carry over from another section ---------------------------------

def test_previous_finding_not_across_headers() -> None:
    en = _read("History: old TB with calcified mediastinal nodes.\nFindings: Liver normal in size. A 3 mm echogenic "
               "focus in S6, consistent with a small calcification.", "en")
    assert [(f.organ, f.site) for f in en[1:]] == [(Organ.liver, "segment_VI")] * 2
    fr = _read("Antécédents : tuberculose avec ganglions médiastinaux calcifiés.\nRésultats : Foie de taille normale. "
               "Petite calcification de 2 mm en S6.", "fr")
    assert (fr[-1].organ, fr[-1].site) == (Organ.liver, "segment_VI")


# --- site: the part of the liver comes with the organ from an earlier sentence; a segment range loses ----

def test_site_from_the_cue_sentence_and_segment_ranges() -> None:
    en = _one("Large mass in the left hepatic lobe (segments II/III). The scar contains calcification.", "en")
    assert (en.organ, en.site, en.pattern) == (Organ.liver, "left_lobe", "central_scar")
    fr = _one("Volumineuse masse du lobe gauche du foie (segments II-III). La cicatrice contient des "
              "calcifications.", "fr")
    assert (fr.organ, fr.site, fr.pattern) == (Organ.liver, "left_lobe", "central_scar")
    dome = _one("Collection du dôme hépatique (segments VII-VIII) contenant une calcification.", "fr")
    assert dome.site == "dome"
    assert _one("Abscess of the hepatic dome (segments 7 and 8) with a calcification.", "en").site == "dome"
    assert _one("Volumineuse masse hépatique droite calcifiée.", "fr").site == "right_lobe"
    assert _one("Large calcified right hepatic mass.", "en").site == "right_lobe"


def test_segment_words() -> None:
    en = _one("In the right lobe, seg 6, there is a coarse calcification.", "en")
    assert (en.organ, en.site) == (Organ.liver, "segment_VI")
    fr = _one("Rate normale. Nodule calcifié du segment I.", "fr")
    assert (fr.organ, fr.site) == (Organ.liver, "segment_I")
    assert _one("Liver: calcification in S7.", "en").site == "segment_VII"
    assert _one("Foie : calcification en S7.", "fr").site == "segment_VII"


# --- site: the side of the intrahepatic ducts ---------------------------------------------------------------

def test_intrahepatic_duct_side() -> None:
    en = _one("Punctate calcifications along the left intrahepatic ducts.", "en")
    assert (en.organ, en.site) == (Organ.biliary, "left_intrahepatic_ducts")
    assert _one("Calcified CBD stones and right intrahepatic ductal calcifications.", "en",
                "calcifications").site == "right_intrahepatic_ducts"
    fr = _one("Lithiases intrahépatiques du foie gauche en amont d'une sténose.", "fr")
    assert (fr.site, fr.count) == ("left_intrahepatic_ducts", "multiple")
    # one side named once is the side of the report's other intrahepatic duct mentions
    both = _read("Résultats : lithiase intrahépatique avec dilatation.\nConclusion : lithiase intrahépatique "
                 "gauche.", "fr")
    assert [f.site for f in both] == ["left_intrahepatic_ducts"] * 2


# --- organ: a coordinated list of organs -------------------------------------------------------------------

def test_coordinated_organs() -> None:
    en = _read("Benign granulomatous calcifications in the lung, liver and spleen.", "en")
    assert [f.organ for f in en] == [Organ.liver, Organ.spleen]
    fr = _read("Calcifications granulomateuses du poumon, du foie et de la rate.", "fr")
    assert [f.organ for f in fr] == [Organ.liver, Organ.spleen]
    # no coordinator: two cues side by side are not a list ("artérielles poplitées")
    assert [f.organ for f in _read("Calcifications artérielles poplitées.", "fr")] == [Organ.other]


def test_splenic_hilum() -> None:
    assert _one("At the splenic hilum there is an eggshell calcification.", "en").site == "hilum"
    assert _one("Calcification en coquille du hile splénique.", "fr").site == "hilum"


# --- soft tissue: body regions, joints named alone, the examination title ----------------------------------

def test_soft_tissue_regions() -> None:
    en = _one("MRI LEFT THIGH\nFindings: calcified hematoma in the muscle.", "en")
    assert (en.organ, en.site) == (Organ.soft_tissue, "thigh")
    assert _one("Past history: calcified hematoma of the calf.", "en").site == "calf"
    assert _one("Subcutaneous calcifications of both buttocks.", "en").site == "subcutaneous_buttock"
    fr = _one("Radiographies du genou droit\nRésultats : calcification le long du ligament collatéral médial.", "fr")
    assert (fr.organ, fr.site) == (Organ.soft_tissue, "periarticular_knee")
    assert _one("Calcifications sous-cutanées de la cuisse.", "fr").site == "subcutaneous_thigh"


def test_joint_named_alone_is_periarticular() -> None:
    en = _one("Large calcified mass lateral to the left shoulder.", "en")
    assert (en.organ, en.site) == (Organ.soft_tissue, "periarticular_shoulder")
    fr = _one("Volumineuse masse calcifiée en regard de l'épaule gauche.", "fr")
    assert (fr.organ, fr.site) == (Organ.soft_tissue, "periarticular_shoulder")
    # after the target and in another clause, a joint names something else
    assert _one("Marked calcifications on x-ray, an ankle tourniquet was not applied.", "en").organ == Organ.other


def test_french_arterial_words() -> None:
    assert _one("Calcifications artérielles humérales.", "fr").organ_detail == "artérielles"
    fr = _one("Masse du foie gauche hypervascularisée au temps artériel, contenant des calcifications.", "fr")
    assert fr.organ == Organ.liver


# --- negation ------------------------------------------------------------------------------------------------

def test_negation_no_longer_and_not_found() -> None:
    assert _one("Liver: the echogenic focus reported before is no longer visible.", "en").negated
    assert _one("Foie : la calcification décrite auparavant n'est pas retrouvée.", "fr").negated
    assert _one("Pas d'autre calcification hépatique.", "fr").negated
    assert _one("No other hepatic calcification.", "en").negated


def test_french_evocateur_is_a_hypothesis() -> None:
    assert _one("Aspect évocateur de calcinose tumorale de l'épaule.", "fr").uncertain
    assert _one("Findings suggestive of a possible calcification.", "en").uncertain


# --- historical ---------------------------------------------------------------------------------------------

def test_comparison_section_is_an_earlier_examination() -> None:
    en = _read("Comparison: outside US of 2024, echogenic focus in the right lobe.\nFindings: Liver: no "
               "calcification.", "en")
    assert [f.historical for f in en] == [True, False]
    fr = _read("Antériorités : scanner de 2019, calcification du segment VI.\nRésultats : Foie : pas de "
               "calcification.", "fr")
    assert [f.historical for f in fr] == [True, False]
    # a comparison line does not make the organ sections that follow historical
    assert not _one("COMPARISON: None.\nLUNGS: Calcified granuloma in the lingula.", "en").historical


def test_history_header_in_the_middle_of_a_line() -> None:
    fr = _one("Motif : fièvre. Antécédents : abcès du foie en 2010 ; le scanner de l'époque montrait une "
              "calcification du segment VI.", "fr")
    assert fr.historical
    en = _one("Clinical: thigh mass. Past history: calcified hematoma of the calf.", "en")
    assert en.historical


def test_dated_episode_in_an_earlier_clause() -> None:
    en = _one("Clinical: abdominal pain. History: congenital CMV; during the neonatal stay in 2017, cranial US "
              "showed periventricular calcifications.", "en")
    assert en.historical
    fr = _one("Histoire de la maladie : lors du séjour néonatal en 2017, l'échographie montrait des calcifications "
              "cérébrales.", "fr")
    assert fr.historical
    # follow-up of a known finding is today's problem
    assert not _one("Indication: in 2020 a calcification was found; follow-up.", "en").historical


def test_earlier_films_of_a_year() -> None:
    assert _one("Previous shoulder films of 2021 showed a small calcification that has since resolved.",
                "en").historical
    assert _one("Les radiographies de 2021 montraient une petite calcification tendineuse.", "fr").historical


# --- pattern -------------------------------------------------------------------------------------------------

def test_denied_pattern_word_is_skipped() -> None:
    assert _one("Soft-tissue mass with cloud-like calcification and no peripheral rim.", "en").pattern == "cloud_like"
    assert _one("Masse des parties molles calcifiée, d'aspect nuageux, sans liseré périphérique.",
                "fr").pattern == "cloud_like"


def test_cluster_before_a_micro_prefix() -> None:
    en = _one("Liver: a cluster of five microcalcifications in segment V.", "en")
    assert (en.pattern, en.count) == ("clustered", 5)
    fr = _one("Foie : amas de cinq microcalcifications du segment V.", "fr")
    assert (fr.pattern, fr.count) == ("clustered", 5)
    assert _one("Foie : groupement de foyers hyperéchogènes ponctiformes avec cônes d'ombre.",
                "fr").pattern == "clustered"


def test_curvilinear_refines_rim() -> None:
    assert _one("Collection hépatique contenant une calcification pariétale curviligne.", "fr").pattern == "curvilinear"
    assert _one("Hepatic cyst with a curvilinear mural calcification.", "en").pattern == "curvilinear"


# --- count ---------------------------------------------------------------------------------------------------

def test_french_lithiase_counts() -> None:
    assert _one("Lithiase vésiculaire multiple non compliquée.", "fr").count == "multiple"
    assert _one("Lithiase vésiculaire non compliquée.", "fr").count is None
    assert _one("Lithiases de la VBP.", "fr").count == "multiple"
    assert _one("Conclusion : lithiase de la VBP (3 calculs).", "fr").count == 3
    assert _one("Liver: hepatic calcifications (4 lesions) in segment VI.", "en").count == 4


# --- targets: a hyperechoic focus confirmed elsewhere in the report ----------------------------------------

def test_hyperechoic_focus_confirmed_elsewhere() -> None:
    text = ("Indication : découverte d'un foyer hyperéchogène hépatique.\n"
            "Résultats : au segment V du foie, foyers hyperéchogènes avec cônes d'ombre.")
    assert [f.evidence.text for f in _read(text, "fr") if f.evidence] == ["foyer hyperéchogène",
                                                                          "foyers hyperéchogènes"]
    # without a shadowing one anywhere, a hyperechoic image is not a calcification
    assert _read("Indication : foyer hyperéchogène hépatique.\nRésultats : foie normal.", "fr") == []


# --- organ: a preposition that spells an organ word ("au sein de" = within) -------------------------------

def test_french_within_is_not_the_breast() -> None:
    fr = _one("Foie : masse de 40 mm du segment VI, avec des calcifications grossières au sein de la lésion.", "fr")
    assert fr.organ == Organ.liver
    breast = _one("Sein gauche : microcalcifications regroupées du quadrant supéro-externe.", "fr")
    assert breast.organ == Organ.other


# --- organ: the duct named by its adjective, and the stone pairing stem that covers both ----------------

def test_french_bile_duct_adjective_and_noun() -> None:
    adjective = _one("Conclusion : lithiase cholédocienne, sans dilatation des voies biliaires intra-hépatiques.", "fr")
    assert (adjective.organ, adjective.site) == (Organ.biliary, "common_bile_duct")
    noun = _one("Voies biliaires : un calcul du cholédoque est visible, la voie biliaire mesure 9 mm.", "fr")
    assert noun.organ == Organ.biliary


# --- interval change written as two sizes: the direction comes from the numbers ----------------------------

def test_change_written_as_two_sizes() -> None:
    en = _one("Compared with 2022, the splenic calcification went from 4 to 7 mm.", "en")
    assert en.interval_change == IntervalChange.increased
    fr = _one("Par rapport à 2022, la calcification splénique est passée de 7 à 4 mm.", "fr")
    assert fr.interval_change == IntervalChange.decreased
    units = _one("Calcification hépatique de 1,2 cm contre 8 mm auparavant.", "fr")
    assert units.interval_change == IntervalChange.increased
    ranged = _one("Multiple hepatic calcifications ranging from 2 to 6 mm.", "en")
    assert ranged.interval_change is None  # a range of sizes, not a change


# --- history: a finding its own sentence says is still there is current -----------------------------------

def test_still_present_beats_a_comparison_section() -> None:
    en = _one("COMPARISON: CT of 2020 showed a calcified granuloma in segment 7, which is unchanged today.", "en")
    assert not en.historical
    fr = _one("Comparaison : le scanner de 2020 montrait une calcification du segment VII, inchangée ce jour.", "fr")
    assert not fr.historical
    gone = _one("COMPARISON: CT of 2020 showed a calcified granuloma in segment 7. Liver normal today.", "en")
    assert gone.historical


# --- count: a segment number names a place, not a number of foci -----------------------------------------

def test_segment_number_is_not_a_count() -> None:
    en = _one("Segment 3: calcified granuloma, 4 mm.", "en")
    assert (en.count, en.site) == ("single", "segment_III")
    fr = _one("Segment 8 : nodule calcifié de 6 mm.", "fr")
    assert (fr.count, fr.site) == ("single", "segment_VIII")
    counted = _one("Liver: 2 calcifications in segment 7.", "en")
    assert counted.count == 2


# --- negation: a denial placed after the mention, behind a comma (EDS-NLP's French scope ends at a comma) --

def test_denial_after_a_comma() -> None:
    fr = _one("Résultats : Foie : petite calcification du segment III, signalée en 2017, non visualisée "
              "aujourd'hui.", "fr")
    assert fr.negated and not fr.historical
    en = _one("Findings: Spleen: the tiny calcified granulomas, reported on the 2014 study, have resolved.", "en")
    assert en.negated and not en.historical
    # absent on an earlier examination: the finding is new, not denied
    new = _one("Résultats : Foie : calcification de 4 mm du segment V, absente sur l'examen précédent.", "fr")
    assert not new.negated


# --- negation: a coordinated clause that opens with an indefinite determiner names a new object ----------

def test_denial_does_not_reach_a_new_coordinated_object() -> None:
    en = _read("Findings: Liver: the old calcified focus in segment IV is no longer visible, and a 6 mm "
               "calcification is now present in segment II.", "en")
    assert [f.negated for f in en] == [True, False]
    fr = _read("Résultats : Foie : la calcification du segment IV n'est plus visible, et une calcification de "
               "6 mm apparaît en segment II.", "fr")
    assert [f.negated for f in fr] == [True, False]
    # a bare coordinator continues the denied list
    listed = _one("Findings: Liver: no cyst, no mass, and no calcification.", "en")
    assert listed.negated


# --- history: a sentence that opens with the patient's history names a past condition ----------------------

def test_sentence_opening_with_the_patients_history() -> None:
    en = _one("Status post cholecystectomy. Prior history of common duct stones removed endoscopically in "
              "2019. The CBD measures 4 mm.", "en")
    assert en.historical and not en.negated
    fr = _one("Antécédent de lithiase de la voie biliaire principale extraite par CPRE en 2019. VBP de 4 mm.",
              "fr")
    assert fr.historical
    # present today despite the opening: current
    kept = _one("History of hepatic calcified granuloma, unchanged in size at 5 mm.", "en")
    assert not kept.historical


# --- associated lesion: a calcification contained in a nodule or lesion (clinical reference R3) ----------

def test_calcification_contained_in_a_lesion() -> None:
    en = _one("Findings: Liver: a 19 mm hypoattenuating nodule in segment III showing a 2 mm central calcification.",
              "en")
    assert en.associated_mass is True
    fr = _one("Résultats : Foie : lésion de 19 mm du segment III comportant une calcification centrale de 2 mm.",
              "fr")
    assert fr.associated_mass is True
    # the calcified focus itself, and a cystic lesion with a calcified wall (read by the cyst rules)
    assert _one("Findings: Liver: a 3 mm calcified nodule in segment III.", "en").associated_mass is not True
    assert _one("Findings: Liver: cystic lesion of 40 mm with a calcified wall.", "en").associated_mass is not True


# --- count: a number after a grading name grades the lesion ----------------------------------------------

def test_grading_number_is_not_a_count() -> None:
    en = _one("Impression: LR-4 observation in segment VII containing calcification.", "en")
    assert en.count not in (4, "multiple")
    fr = _one("Conclusion : nodule TI-RADS 3 du lobe droit thyroïdien avec calcification.", "fr")
    assert fr.count not in (3, "multiple")


# --- organ: an enhancement phase named by "arterial" is not a vessel ---------------------------------------

def test_arterial_phase_is_not_a_vessel() -> None:
    fr = _one("Résultats : nodule de 18 mm du segment VI avec hyperrehaussement artériel et lavage portal, contenant "
              "une calcification.", "fr")
    assert fr.organ == Organ.liver
    en = _one("Findings: 18 mm segment VI nodule with arterial hyper-enhancement and washout, containing a "
              "calcification.", "en")
    assert en.organ == Organ.liver


# --- history: an earlier examination named as the subject, in a history or indication line ----------------

def test_earlier_exam_as_subject_in_a_history_line() -> None:
    en = _read("Indication: treated histoplasmosis. Outside CT 2017 showed hepatic calcified granulomas.\n"
               "Findings: Liver: several calcified granulomas, unchanged.", "en")
    assert [f.historical for f in en] == [True, False]
    fr = _read("Indication : histoplasmose traitée. L'échographie antérieure montrait des granulomes hépatiques "
               "calcifiés.\nRésultats : Foie : plusieurs granulomes calcifiés, inchangés.", "fr")
    assert [f.historical for f in fr] == [True, False]


def test_previously_reported_in_a_history_line_is_past() -> None:
    en = _one("History: kidney transplant. Previously reported tiny hepatic calcifications on the CT of 2013.\n"
              "Findings: Liver: normal.", "en")
    assert en.historical
    fr = _one("Antécédents : greffe rénale. Petites calcifications hépatiques déjà signalées sur le scanner de "
              "2013.\nRésultats : Foie normal.", "fr")
    assert fr.historical


def test_year_in_brackets_dates_a_history_line() -> None:
    en = _read("Clinical history: liver abscess (2015), drained, healed with a calcified scar.\n"
               "Findings: Liver: 7 mm dense calcification in segment VI at the site of the old abscess.", "en")
    assert en[0].historical and not en[1].historical
    labels = {c.label for c in en[1].characterisation}
    assert "sequela" in labels and "abscess" not in labels


# --- interval change: each mention of a sentence keeps the change of its own clause ----------------------

def test_interval_change_of_the_own_clause() -> None:
    en = _read("Findings: Liver: the segment IV calcification has resolved, and a new 5 mm calcification is seen in "
               "segment II.", "en")
    assert en[-1].interval_change == IntervalChange.new and not en[-1].negated
    fr = _read("Résultats : Foie : la calcification du segment IV a disparu, et une nouvelle calcification de 5 mm "
               "est visible en segment II.", "fr")
    assert fr[-1].interval_change == IntervalChange.new and not fr[-1].negated


# --- characterisation: a calcification at the site of a biopsy or an injury is a sequela -------------------

def test_site_of_an_earlier_procedure_is_a_sequela() -> None:
    fr = _one("Résultats : Foie : calcification linéaire de 4 mm du segment VI sur le trajet de l'ancienne ponction.",
              "fr")
    assert "sequela" in {c.label for c in fr.characterisation}
    en = _one("Findings: Liver: 4 mm linear calcification in segment VI along the tract of the prior biopsy.", "en")
    assert "sequela" in {c.label for c in en.characterisation}


# --- uncertainty: French hedges after the entity, and "ne peut être éliminée" (a possibility, not a denial) --

def test_french_hedges_after_the_entity() -> None:
    assert _one("Foie : petite calcification incertaine du segment II.", "fr").uncertain
    kept_open = _one("Foie : une lithiase intrahépatique gauche ne peut être exclue.", "fr")
    assert kept_open.uncertain and not kept_open.negated
    assert _one("Foie : image du segment II, très probablement une calcification.", "fr").uncertain


def test_more_hedges_before_the_entity() -> None:
    assert _one("Foie : hyperdensité du segment II pouvant faire évoquer une calcification.", "fr").uncertain
    assert _one("Foie : on ne peut pas exclure une petite lithiase intrahépatique droite.", "fr").uncertain
    assert _one("Liver: 4 mm focus in segment III, query calcified granuloma.", "en").uncertain


# --- organ: a vessel named as a landmark beside the finding ------------------------------------------------

def test_vessel_named_as_a_landmark_is_a_weak_cue() -> None:
    en = _one("Liver: 4 mm calcification next to the middle hepatic vein, segment IV.", "en")
    assert en.organ == Organ.liver
    fr = _one("Foie : calcification de 4 mm à proximité de la veine sus-hépatique médiane, segment IV.", "fr")
    assert fr.organ == Organ.liver
    # named as the site itself, the vessel stays the organ
    assert _one("Calcification of the abdominal aorta.", "en").organ == Organ.other


def test_a_prior_exam_that_is_absent_or_a_purpose_does_not_date_the_finding() -> None:
    en = _one("Indication: calcified granuloma of the liver on ultrasound, no prior imaging to compare.", "en")
    assert not en.historical
    assert not _one("Clinical history: 5 mm hepatic calcification, comparison with prior studies requested.",
                    "en").historical


# --- round 5 (sentences written for these tests) ----------------------------------------------------------


def test_a_denied_growth_word_means_stable() -> None:
    en = _one("Liver: a 12 mm calcified nodule in segment IV, which has not grown since 2022.", "en")
    assert en.interval_change == IntervalChange.stable
    fr = _one("Foie : calcification de 12 mm du segment IV, sans augmentation de taille depuis 2022.", "fr")
    assert fr.interval_change == IntervalChange.stable
    grown = _one("Liver: a 12 mm calcified nodule in segment IV, which has grown since 2022.", "en")
    assert grown.interval_change == IntervalChange.increased


def test_the_organs_own_span_is_not_the_lesions_size() -> None:
    en = _one("The spleen measures 13 cm and holds several punctate calcifications, the largest 3 mm.", "en")
    assert (en.organ, en.size_mm) == (Organ.spleen, 3.0)
    fr = _one("Rate de 12 cm, siège de deux calcifications, la plus grande de 5 mm.", "fr")
    assert (fr.organ, fr.size_mm) == (Organ.spleen, 5.0)


def test_the_ducts_of_the_other_part_of_the_sentence_are_not_the_mentions() -> None:
    en = _one("Liver: no focal lesion or biliary dilatation; a 3 mm calcified granuloma in segment II.", "en",
              "calcified granuloma")
    assert en.duct_dilatation is not True and en.organ == Organ.liver
    fr = _one("Foie : ni masse ni dilatation des voies biliaires, mais une calcification de 4 mm du segment III.",
              "fr", "calcification")
    assert fr.duct_dilatation is not True and fr.organ == Organ.liver


def test_a_pattern_word_across_a_semicolon_is_not_the_mentions() -> None:
    en = _one("No ductal dilatation; a 4 mm calcified focus in the right lobe of the liver.", "en", "calcified")
    assert en.pattern != "ductal"


def test_a_shape_comparison_is_not_an_organ() -> None:
    en = _one("Right thigh: a plaque-like calcification in the soft tissues of the thigh.", "en")
    assert en.organ == Organ.soft_tissue
    denied = _one("Fetal abdomen: two hepatic calcifications; no peritoneal calcification.", "en")
    assert denied.organ == Organ.liver


def test_a_possibility_kept_open_is_not_a_characterisation() -> None:
    """"A metastasis cannot be excluded" keeps the possibility open (suspicious), it does not call the lesion
    a metastasis; "in keeping with a metastasis" does."""
    en = _one("Liver: stable 6 mm calcification, a metastasis cannot be excluded.", "en")
    assert {c.label for c in en.characterisation} >= {"suspicious"}
    assert "metastasis" not in {c.label for c in en.characterisation}
    fr = _one("Foie : calcification de 6 mm stable, une métastase ne peut être éliminée.", "fr")
    assert "metastasis" not in {c.label for c in fr.characterisation}
    called = _one("Liver: stable 6 mm calcification, in keeping with a metastasis.", "en")
    assert "metastasis" in {c.label for c in called.characterisation}
    called_fr = _one("Foie : calcification de 6 mm stable, évoquant une métastase.", "fr")
    assert "metastasis" in {c.label for c in called_fr.characterisation}


def test_a_dated_lesion_the_findings_say_is_gone_is_historical() -> None:
    en = _read("Indication: follow-up of a calcified mass of the right shoulder described in 2022.\n"
               "Findings: the calcified mass described in 2022 is no longer seen. Joint normal.", "en")
    assert en[0].historical and not en[0].negated
    assert en[1].negated and not en[1].historical
    fr = _read("Indication : contrôle d'une calcification de la rate décrite en 2021.\n"
               "Résultats : la calcification splénique décrite en 2021 n'est plus visible ce jour.", "fr")
    assert fr[0].historical and fr[1].negated
    # still there today: the history line names today's problem
    kept = _read("Indication: follow-up of a calcified mass of the right shoulder described in 2022.\n"
                 "Findings: the calcified mass is unchanged, 12 mm.", "en")
    assert not kept[0].historical


def test_none_with_denies_the_attribute_not_the_foci() -> None:
    en = _one("Liver: innumerable tiny calcifications, 1-2 mm, none with a mass or shadow.", "en")
    assert not en.negated and en.associated_mass is not True and en.acoustic_shadow is not True
    denied = _one("Liver: no calcification.", "en")
    assert denied.negated


def test_a_part_noun_after_the_mention_joins_it_to_the_object_named_before() -> None:
    en = _one("Impression: 5 cm hepatic abscess (segment VII) with gas and a partly calcified wall.", "en")
    assert "abscess" in {c.label for c in en.characterisation}
    own = _one("Liver: simple cyst, and a calcified granuloma in segment II.", "en", "calcified granuloma")
    assert "cyst" not in {c.label for c in own.characterisation}


def test_an_organ_span_without_a_verb_is_not_the_lesions_size() -> None:
    en = _one("Spleen 11.2 cm with a few punctate calcifications.", "en")
    assert en.size_mm is None
    fr = _one("Rate homométrique (10 cm) comportant quelques microcalcifications.", "fr")
    assert fr.size_mm is None
    small = _one("Liver 8 mm calcified focus in segment VI.", "en")
    assert small.size_mm == 8.0


def test_a_calcified_wall_is_the_lesions_wall_not_a_calcification_inside_it() -> None:
    en = _one("Liver: a 5 cm lesion with a thick, heavily calcified wall and no enhancement.", "en")
    assert en.associated_mass is not True
    fr = _one("Foie : lésion de 5 cm avec une paroi calcifiée, sans rehaussement.", "fr")
    assert fr.associated_mass is not True
    inside = _one("Liver: a 22 mm nodule containing a 3 mm calcification.", "en")
    assert inside.associated_mass is True


def test_a_quoted_word_is_cited_not_stated() -> None:
    en = _one("Impression: the 'mass' of the outside report is a completely calcified cyst.", "en", "calcified")
    assert en.associated_mass is not True
    fr = _one("Conclusion : la « masse » du compte rendu extérieur est un kyste entièrement calcifié.", "fr",
              "calcifié")
    assert fr.associated_mass is not True


def test_a_long_denied_list_still_denies_the_dilatation() -> None:
    en = _one("Liver: tiny punctate calcifications without any associated mass or ductal dilatation.", "en")
    assert en.duct_dilatation is False
    fr = _one("Foie : petites calcifications punctiformes, sans masse associée ni aucune dilatation des voies "
              "biliaires.", "fr")
    assert fr.duct_dilatation is False


# --- round 6: a mention denied today is negated, not historical, whatever earlier exam it names ----------

def test_denied_today_is_not_historical_outside_history_lines() -> None:
    en = _one("Upper abdomen: the tiny hepatic calcification described on the 2022 study is no longer seen.", "en")
    assert en.negated and not en.historical
    fr = _one("Abdomen : la calcification hépatique décrite sur l'examen précédent n'est plus visible.", "fr")
    assert fr.negated and not fr.historical


def test_past_tense_denial_of_an_earlier_exam_stays_historical() -> None:
    fr = _one("Comparaison : scanner de juin 2021, qui ne montrait pas de calcification hépatique.\n"
              "Résultats : Foie : calcification de 5 mm du segment II.", "fr", "calcification")
    assert fr.negated and fr.historical


# --- round 6: a relative clause or a short aside speaks of the exam its antecedent names -----------------

def test_relative_clause_places_the_mention_on_the_earlier_exam() -> None:
    en = _read("Indication: follow-up. Comparison: CT 03/2020, on which a splenic calcification was noted.\n"
               "Findings: Spleen: 3 mm calcification, unchanged.", "en")
    assert [f.historical for f in en] == [True, False]
    fr = _read("Indication : suivi. Comparaison : échographie de février 2022, qui signalait une calcification "
               "splénique.\nRésultats : Rate : calcification de 3 mm, inchangée.", "fr")
    assert [f.historical for f in fr] == [True, False]


def test_short_parenthesis_keeps_the_exam_in_the_clause() -> None:
    en = _one("Reason: Outside CT (11/2024) reported a calcification in the spleen; please assess.\n"
              "Abdomen: spleen unremarkable.", "en")
    assert en.historical
    fr = _one("Motif : scanner extérieur (11/2024) : calcification splénique signalée ; à contrôler.\n"
              "Abdomen : rate normale.", "fr")
    assert fr.historical


# --- round 6: outside imaging given as the reason for today's exam is the current problem -----------------

def test_referral_imaging_of_the_current_problem_is_current() -> None:
    en = _read("History: referred after an outside CT showed a calcified splenic lesion.\n"
               "Findings: Spleen: 22 mm lesion with a calcified rim.", "en")
    assert [f.historical for f in en] == [False, False]
    fr = _read("Indication : patiente adressée car un scanner extérieur aurait montré une lésion splénique "
               "calcifiée.\nRésultats : Rate : lésion de 22 mm à paroi calcifiée.", "fr")
    assert [f.historical for f in fr] == [False, False]


# --- round 6: "hilar" is the liver hilum beside bile-duct words, the lung hilum beside chest words --------

def test_hilar_follows_its_neighbours() -> None:
    en = _one("The intrahepatic bile ducts are dilated up to an irregular hilar mass holding coarse "
              "calcifications.", "en")
    assert en.organ == Organ.liver
    assert _one("Chest: calcified right hilar lymph nodes.", "en").organ == Organ.other
    fr = _one("Dilatation des voies biliaires intrahépatiques en amont d'une masse hilaire contenant des "
              "calcifications grossières.", "fr")
    assert fr.organ == Organ.liver
    assert _one("Thorax : adénopathies hilaires calcifiées.", "fr").organ == Organ.other


# --- round 6: hedges on the mention's identity, not on its cause ------------------------------------------

def test_likely_names_an_uncertain_identity_but_not_an_uncertain_cause() -> None:
    assert _one("Spleen: bright focus at the hilum, likely a splenic artery calcification.", "en").uncertain
    assert not _one("Liver: 3 mm calcification, likely related to old granulomatous disease.", "en").uncertain
    assert _one("Liver: a thin echogenic line beside it, either a second calcification or an artefact.",
                "en").uncertain


def test_hedge_after_the_mention() -> None:
    assert _one("Comparison: CT 2021, at which a gallbladder wall calcification was described as questionable.",
                "en").uncertain
    fr = _one("Épaule : une calcification des parties molles péri-articulaires n'est pas exclue.", "fr")
    assert fr.uncertain
    assert _one("Conclusion : aspect pouvant évoquer une calcinose tumorale.", "fr").uncertain
    assert _one("Conclusion : il faut évoquer une calcinose tumorale.", "fr").uncertain


def test_hedge_after_a_colon_is_on_the_interpretation() -> None:
    fr = _one("Conclusion : collection hépatique avec calcifications pariétales : abcès probable.", "fr",
              "calcifications")
    assert not fr.uncertain


# --- round 6: measurements that are not today's size of the calcified object ------------------------------

def test_dilated_duct_calibre_is_not_the_stone_size() -> None:
    en = _one("The left intrahepatic ducts are dilated (9 mm) and hold several echogenic foci with shadowing, "
              "the largest 6 mm.", "en", "echogenic foci")
    assert en.size_mm == 6
    fr = _one("Les voies biliaires intrahépatiques gauches sont dilatées (9 mm) et contiennent plusieurs images "
              "hyperéchogènes avec cône d'ombre, la plus grande de 6 mm.", "fr")
    assert fr.size_mm == 6


def test_an_earlier_exams_measurement_is_not_todays_size() -> None:
    en = _one("Liver: the calcified nodule measures 18 x 12 mm (15 mm in 2023) and contains calcifications.", "en",
              "calcifications")
    assert en.size_mm == 18
    fr = _one("Foie : le nodule calcifié mesure 18 x 12 mm (15 mm en 2023) et contient des calcifications.", "fr",
              "calcifications")
    assert fr.size_mm == 18


# --- round 6: a structure offered as another reading is not the organ -------------------------------------

def test_alternative_reading_is_not_the_organ() -> None:
    en = _one("Tiny bright spot in segment II, either a punctate calcification or a vessel seen end-on.", "en")
    assert en.organ == Organ.liver
    fr = _one("Petit spot échogène du segment II, pouvant correspondre à une calcification ou à un vaisseau vu "
              "en coupe.", "fr")
    assert fr.organ == Organ.liver


def test_french_lobe_alone_needs_a_hepatic_neighbour() -> None:
    fr = _read("Échographie thyroïdienne.\nLobe droit de 5 cm. Nodule médio-lobaire de 14 mm avec de fines "
               "microcalcifications.", "fr")
    assert [f.organ for f in fr] == [Organ.other]
    assert _one("Calcification de 5 mm du lobe droit, sans cône d'ombre.", "fr").organ == Organ.liver


# --- round 6: a pattern word of the other conjunct --------------------------------------------------------

def test_pattern_word_of_the_other_conjunct() -> None:
    en = _one("Impression: diffuse hepatic calcifications and splenic calcified granulomas.", "en",
              "calcified granulomas")
    assert en.pattern is None
    assert _one("Liver: coarse and dense calcification in segment V.", "en").pattern == "coarse"
    fr = _one("Conclusion : calcifications hépatiques diffuses et granulomes spléniques calcifiés.", "fr",
              "calcifiés")
    assert fr.pattern is None


# --- round 6: a lead that introduces a new object, unless a denial follows it -----------------------------

def test_matching_lead_introduces_an_affirmed_object() -> None:
    en = _one("Liver: 6 mm focus with no enhancement and no T2 signal, matching a dense calcified focus on the "
              "prior CT.", "en")
    assert not en.negated
    fr = _one("Foie : hyperdensité du nodule traité, correspondant à un dépôt de lipiodol et non à une "
              "calcification.", "fr")
    assert fr.negated


# --- round 6: a superseded earlier finding the next sentence says can no longer be told apart -------------

def test_earlier_finding_no_longer_identifiable_is_historical() -> None:
    en = _read("Findings: Liver: 6 cm abscess in segment VII. The outside CT of 2019 reported a 5 mm calcified "
               "granuloma in segment VII. The granuloma cannot be separately identified today.", "en")
    assert [f.historical for f in en] == [True]
    fr = _read("Résultats : Foie : abcès de 6 cm du segment VII. Le scanner de 2019 décrivait un granulome "
               "calcifié du segment VII. Le granulome n'est plus individualisable.", "fr")
    assert [f.historical for f in fr] == [True]


# --- round 6: abbreviations and regions that name an organ ------------------------------------------------

def test_gallbladder_abbreviation_and_trochanteric_region() -> None:
    liver, gb = _read("Liver: normal, without calcification.\nGB: curvilinear mural calcification along the "
                      "fundus.", "en")
    assert (liver.organ, liver.negated) == (Organ.liver, True)
    assert (gb.organ, gb.negated) == (Organ.biliary, False)
    hip = _one("Findings: cloud-like calcified mass in the right trochanteric region, 8 cm.", "en")
    assert hip.organ == Organ.soft_tissue
    fr = _one("Résultats : masse calcifiée nuageuse péri-trochantérienne droite de 8 cm.", "fr")
    assert fr.organ == Organ.soft_tissue


# --- round 6: object nouns count as one; "une lithiase … de 12 mm" is one stone ---------------------------

def test_object_nouns_and_one_stone_count_as_single() -> None:
    assert _one("Pelvis: tiny phlebolith in the left hemipelvis.", "en").count == "single"
    assert _one("Liver: bright echogenic focus in segment VI with shadowing.", "en").count == "single"
    assert _one("Petit bassin : image calcique de 3 mm, probable phlébolithe.", "fr", "phlébolithe").count == "single"
    assert _one("Vésicule : une lithiase vésiculaire de 12 mm.", "fr").count == "single"
    assert _one("Vésicule : lithiase vésiculaire.", "fr").count is None


# --- round 6: "none" that qualifies a set, and technique words, do not deny -------------------------------

def test_none_with_a_bound_qualifies_the_set() -> None:
    en = _one("Liver: innumerable tiny calcifications through both lobes, none larger than 2 mm.", "en")
    assert not en.negated and en.interval_change is None
    nodes = _one("Abdomen: a few calcified nodes at the porta hepatis, none enlarged.", "en")
    assert not nodes.negated and nodes.interval_change is None
    assert _one("Liver: no calcification.", "en").negated


def test_acquisition_technique_is_not_a_negation() -> None:
    fr = _one("Le scanner sans injection montre des calcifications grossières d'une cloison hépatique.", "fr")
    assert not fr.negated
    assert _one("Foie : sans calcification.", "fr").negated


def test_a_reading_after_a_dash_ends_the_negation() -> None:
    en = _one("Liver: two tiny echogenic foci, no mass or halo around either - c/w small calcified granulomas.",
              "en", "calcified granulomas")
    assert not en.negated


# --- round 6: a numbered line starts a sentence for the qualifiers too ------------------------------------

def test_numbered_item_does_not_inherit_the_previous_items_negation() -> None:
    en = _one("Impression:\n1. Normal gallbladder; no cause for the pain.\n2. 6 mm calcified granuloma in segment VI, "
              "benign.", "en")
    assert not en.negated
    fr = _one("Conclusion :\n1. Pas de lithiase vésiculaire ni d'explication aux douleurs.\n2. Granulome calcifié "
              "de 6 mm du segment VI, bénin.", "fr", "Granulome calcifié")
    assert not fr.negated


# --- round 6: a query mark right before the mention hedges its identity -----------------------------------

def test_query_mark_before_the_mention() -> None:
    assert _one("Indication: follow-up of a liver focus (? calcification vs fat).", "en", "calcification").uncertain
    assert _one("Indication : contrôle d'un foyer hépatique (?calcification).", "fr", "calcification").uncertain
    assert not _one("Liver: 4 mm calcification. Cause of pain?", "en").uncertain


# --- round 6: a child's fetal history, tissue properties, hedged readings, landmarks ----------------------

def test_fetal_history_of_a_child_is_not_a_prenatal_exam() -> None:
    from calcitrack.nlp.context import read_context

    en = read_context("Pt: 6 y/o boy. Hx: fetal hepatic calcification on the anatomy scan (2020).", "en")
    assert not en.fetal_finding
    assert read_context("Obstetric US, 29 y/o G2P1 at 23 weeks: fetal hepatic calcification.", "en").fetal_finding
    fr = read_context("Enfant de 5 ans. ATCD : calcification hépatique fœtale à l'échographie prénatale.", "fr")
    assert not fr.fetal_finding
    dated = _one("Pt: 6 y/o boy. Hx: fetal hepatic calcification on the anatomy scan (2020).\nLiver: normal.", "en")
    assert dated.historical


def test_increased_echogenicity_is_not_growth() -> None:
    en = _one("The liver is mildly increased in echogenicity and there is a 3 mm calcified focus in segment V.", "en")
    assert en.interval_change is None
    fr = _one("Foie d'échogénicité augmentée, avec une calcification de 3 mm du segment V.", "fr")
    assert fr.interval_change is None
    assert _one("Liver: the calcification has increased in size, now 9 mm.", "en").interval_change == "increased"


def test_hedged_reading_after_a_denial_is_not_denied() -> None:
    en = _one("Right kidney: 2 mm bright dot without shadowing, possibly a tiny calculus or vascular calcification.",
              "en")
    assert not en.negated and en.uncertain
    fr = _one("Rein droit : point brillant de 2 mm sans cône d'ombre, probablement une petite calcification "
              "vasculaire.", "fr")
    assert not fr.negated


def test_landmark_beside_the_finding_is_not_its_organ() -> None:
    en = _one("Liver: a 6 mm hyperdense focus in segment IV adjacent to the gallbladder fossa, likely a calcified "
              "granuloma.", "en", "calcified granuloma")
    assert en.organ == Organ.liver
    fr = _one("Foie : calcification de 6 mm du segment IV au contact de la vésicule biliaire.", "fr")
    assert fr.organ == Organ.liver
    # "en regard de" places the finding itself
    assert _one("Hanche : calcifications en regard du grand trochanter.", "fr").organ == Organ.soft_tissue


def test_placenta_is_out_of_scope_and_comp_labels_a_comparison() -> None:
    assert _one("Antécédents : calcifications placentaires lors de la grossesse précédente.", "fr").organ == (
        Organ.other)
    comp = _read("COMP: Outside US 2019 (report only), which described a 3 mm calcification in segment IV.\n"
                 "LIVER: No focal lesion.", "en")
    assert comp[0].historical


# --- round 6: patient context written in shorthand --------------------------------------------------------

def test_context_shorthand_history_fever_and_donor() -> None:
    from calcitrack.nlp.context import read_context

    assert read_context("Hx: 58F, serous ovarian Ca, debulking 2024.", "en").known_primary_cancer == "ovarian"
    assert read_context("Clinical: 63M, rigors, T 39.2, RUQ pain.", "en").fever
    assert not read_context("Clinical: afebrile, T 36.8.", "en").fever
    assert read_context("Contexte : frissons, T° 39,2.", "fr").fever
    donor = read_context("52F, transplant clinic, work-up as a potential living kidney donor.", "en")
    assert not donor.immunosuppressed
    assert read_context("52F, renal transplant recipient on tacrolimus.", "en").immunosuppressed
    assert not read_context("Bilan de greffe : donneur vivant de rein.", "fr").immunosuppressed


# --- round 6: sizes, walls and intervals ------------------------------------------------------------------

def test_organ_span_after_a_colon_is_not_the_lesion_size() -> None:
    en = _one("Spleen: 10 cm, several punctate calcified granulomas.", "en")
    assert en.size_mm is None


def test_porcelain_gallbladder_abbreviated() -> None:
    en = _one("IMP: segmental wall calcification (incomplete porcelain GB).", "en")
    assert (en.organ, en.site) == (Organ.biliary, "gallbladder_wall")


def test_stable_over_the_last_interval_is_not_new() -> None:
    en = _one("Liver: 4 mm punctate calcification in segment V, unchanged since 09/2024 but not seen in 01/2023.",
              "en")
    assert en.interval_change == IntervalChange.stable
    assert _one("Liver: 4 mm calcification in segment V, not seen on the prior CT.", "en").interval_change == (
        IntervalChange.new)


# --- round 6: earlier exams named by their purpose, the time before a treatment, findings since removed ---

def test_staging_and_preoperative_exams_are_earlier_exams() -> None:
    en = _read("Hx: ovarian cancer. Staging CT showed a calcified peritoneal implant, resected at surgery.\n"
               "Liver: 3 mm calcification in segment II.", "en")
    assert [f.historical for f in en] == [True, False]


def test_before_a_treatment_is_a_past_episode() -> None:
    fr = _read("Antécédents : métastase du segment IVb traitée ; avant l'ablation, elle présentait des "
               "microcalcifications.\nRésultats : Foie : zone d'ablation sans calcification.", "fr")
    assert fr[0].historical
    en = _read("History: segment IVb metastasis; before the ablation it contained microcalcifications.\n"
               "Findings: Liver: ablation zone without calcification.", "en")
    assert en[0].historical


def test_earlier_finding_without_a_counterpart_today_is_historical() -> None:
    en = _one("Findings: Liver normal. Of note, a CT in 2014 had described a small calcification in the liver; no "
              "corresponding abnormality is seen today.", "en")
    assert en.historical and not en.negated
    fr = _one("Résultats : Foie : sur le scanner de 2023, il existait une calcification du segment VI ; ce segment a "
              "depuis été réséqué.", "fr")
    assert fr.historical
