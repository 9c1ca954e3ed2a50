"""Retrieval mechanisms of round 4 on the real KB, with questions written for these tests (none is taken
from the evaluation sets in tests/data/qa)."""

from __future__ import annotations

import pytest

from calcitrack.explain import answer_question
from calcitrack.kb import KnowledgeBase


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # severity in the patient's own register
        ("the scan found a small calcified spot in my liver, how worried should I be?", "faq.is_it_dangerous"),
        ("calcium dot on the liver on my CT... is this something to freak out about?", "faq.is_it_dangerous"),
        ("une tache calcifiée sur le foie, c'est méchant ?", "faq.is_it_dangerous"),
        ("hepatic calcification on my scan, how serious is that?", "faq.is_it_dangerous"),  # "hepatic" is liver
        # origin, framed by a question word and its verb
        ("how does a calcification even form inside the liver?", "faq.causes"),
        ("mais d'où elles sortent ces calcifications dans mon foie ?", "faq.causes"),
        ("I never had TB or any infection, so why is there a calcified spot in my liver?", "faq.causes"),
        # persistence
        ("will this liver calcification stay with me for good?", "faq.go_away"),
        ("ma calcification au foie, elle sera encore là dans vingt ans ?", "faq.go_away"),
        # damage to the organ: the one answer to that request, though "cirrhosis" is not said
        ("can a calcified spot destroy my liver over time?", "faq.cirrhosis"),
        ("est-ce que ces calcifications peuvent bousiller mon foie ?", "faq.cirrhosis"),
        ("mon foie risque-t-il de s'abîmer à cause de cette calcification ?", "faq.cirrhosis"),
        # a past cancer told in context
        (
            "treated for ovarian cancer last year, now a calcified spot in my liver, is the cancer back?",
            "faq.cancer_history",
        ),
        (
            "cancer du sein il y a 5 ans, maintenant une calcification dans le foie, est-ce une récidive ?",
            "faq.cancer_history",
        ),
        (
            "j'ai été soignée pour un cancer du côlon, on voit une calcification au foie, qu'en pensez-vous ?",
            "faq.cancer_history",
        ),
        # purpose of a test
        ("they want me to have an MRI for my liver calcification, what is it for?", "faq.tests"),
        ("mon médecin demande un scanner pour une calcification du foie, ça sert à quoi ?", "faq.tests"),
        ("why would they compare my new liver scan with the old ones for a calcification?", "faq.tests"),
        # a brand name through the lexicon, and "is that calcium?"
        ("I take cordarone and the CT says my liver looks very white, is that calcium?", "faq.not_calcium"),
        # a definition of an unnamed finding goes to the general answer
        ("what exactly is a calcification in the liver, in plain words please", "faq.liver_calcification_what"),
        ("faut-il une ponction du foie à cause de la calcification vue à l'écho ?", "faq.biopsy"),
        # a link question after a symptom or a situation told before
        ("since they found the calcified spot in my liver my stomach hurts a lot, is there a link?", "faq.symptoms"),
        (
            "une chimio pour un cancer du sein l'an dernier, et là des calcifications au foie, c'est lié ?",
            "faq.cancer_history",
        ),
        ("could the ache in my right side come from the calcification in my liver?", "faq.symptoms"),
        ("j'ai une cirrhose et une calcification au foie, qu'est-ce que ça change pour moi ?", "faq.cirrhosis"),
        # frequency asked as a count per period, after a context clause
        (
            "it's only a calcified granuloma, I know. but how many times a year should they look at it again?",
            "faq.follow_up_how_often",
        ),
        ("granulome calcifié, d'accord, mais il faut le contrôler combien de fois par an ?", "faq.follow_up_how_often"),
        # sampling verbs are a biopsy; "tissue" serves the request and names no soft-tissue sarcoma
        ("do doctors usually get a sample of tissue from a calcified liver spot?", "faq.biopsy"),
        ("va-t-on prélever un échantillon de ma calcification du foie ?", "faq.biopsy"),
        # a complaint told first, then "could it be causing this?": the symptoms answer
        ("I get headaches and feel weak. Could my liver calcification be behind this?", "faq.symptoms"),
        # "cause ... in my liver" asks for a cause; only "is causing my ..." tells a complaint
        ("I drink a lot of milk, could that cause calcium in my liver?", "faq.causes"),
        # lab requests with a condition named: its tests passage, not what it is
        ("for tumoral calcinosis, what lab work do they run?", "faq.tumoral_calcinosis_tests"),
        ("pour une calcinose tumorale, quelles analyses de sang faut-il ?", "faq.tumoral_calcinosis_tests"),
        # haemodialysis is dialysis
        ("on hemodialysis with calcium lumps by my hip: how can they be treated?", "faq.tumoral_calcinosis_treatment"),
    ],
)
def test_patient_phrasings_reach_their_answer(kb: KnowledgeBase, question: str, expected: str) -> None:
    answer = answer_question(question, kb=kb)
    assert answer.answered and answer.passage_id == expected, (answer.passage_id, answer.alternatives)


@pytest.mark.parametrize(
    "question",
    [
        "how bad is traffic in Paris today",
        "à quoi sert un VPN ?",
        "will the stock market still be there in ten years?",
        "how on earth does water end up in my basement?",
        "mon ordinateur peut-il s'abîmer à cause de la chaleur ?",
        "d'où sort ce bruit dans ma voiture ?",
        "I never had a liver problem, what is a good diet?",
        "my mammogram showed calcifications, should I be scared?",  # "scared" is not a "scar" (granuloma)
        "is there a link between coffee and sleep?",
        "qu'en pensez-vous de ce film ?",
    ],
)
def test_new_phrasings_do_not_open_the_domain(kb: KnowledgeBase, question: str) -> None:
    assert not answer_question(question, kb=kb).answered


# --- round 5 mechanisms, with phrasings written for these tests ---------------------------------------


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        # a condition named by its whole name: another condition's passage on the request does not outrank it
        ("my scan mentions hepatic artery calcification, should I be worried?", "vascular_calcification"),
        ("un hématome calcifié du foie après une chute, c'est inquiétant ?", "post_traumatic_hematoma_sequela"),
    ],
)
def test_a_named_condition_keeps_the_answer(kb: KnowledgeBase, question: str, condition: str) -> None:
    answer = answer_question(question, kb=kb)
    assert answer.answered and answer.condition_id == condition, (answer.passage_id, answer.alternatives)


def test_the_patient_worded_entry_of_a_named_condition_comes_first(kb: KnowledgeBase) -> None:
    answer = answer_question("kyste hydatique calcifié, ça signifie quoi concrètement ?", kb=kb)
    assert answer.passage_id == "faq.hydatid_what", (answer.passage_id, answer.alternatives)


@pytest.mark.parametrize(
    "question",
    [
        # organs and vessels calcitrack does not cover
        "the CT shows calcium in the wall of my aorta, what should I do?",
        "calcifications des carotides à l'écho-doppler, est-ce grave ?",
        "my heart valve is calcified, is surgery needed?",
        # dietary calcium and supplements
        "are calcium supplements safe to take every day?",
        "quels aliments riches en calcium manger après la ménopause ?",
        "is too much dairy bad for calcium levels?",
        # the mineral's name alone
        "what do calcium channel blockers do?",
        "how can I get rid of the calcium build-up in my kettle?",
        "calcifications in the lymph nodes of my chest: what next?",
    ],
)
def test_round5_off_domain_questions_are_refused(kb: KnowledgeBase, question: str) -> None:
    assert not answer_question(question, kb=kb).answered


@pytest.mark.parametrize(
    "question",
    [
        "I'm on dialysis, could my diet explain the calcium lumps around my shoulder?",
        "calcified spot in my liver: should I stop eating dairy?",
        "the splenic artery is calcified on my CT, is that dangerous?",
        "are you sure that is calcium?",  # pointing at the finding
    ],
)
def test_covered_organs_keep_dietary_words_in_domain(kb: KnowledgeBase, question: str) -> None:
    assert answer_question(question, kb=kb).answered


# --- round 6 mechanisms, with phrasings written for these tests ---------------------------------------


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        # a named condition without a passage on the request answers through its own description
        ("my report says cavernous hemangioma with a calcified spot, should that scare me?", "hemangioma"),
        ("angiome hépatique un peu calcifié, je dois m'en faire ?", "hemangioma"),
        ("calcified haematoma in the liver: is that from the fall I had?", "post_traumatic_hematoma_sequela"),
    ],
)
def test_a_named_condition_answers_a_request_it_has_no_passage_for(
    kb: KnowledgeBase, question: str, condition: str
) -> None:
    answer = answer_question(question, kb=kb)
    assert answer.answered and answer.condition_id == condition, (answer.passage_id, answer.alternatives)


def test_is_it_cancer_about_a_named_condition_stays_the_general_answer(kb: KnowledgeBase) -> None:
    """A condition's description does not weigh the patient's cancer risk (faq.yaml ``about_answers``)."""
    answer = answer_question("could a calcified granuloma of the liver turn into cancer one day?", kb=kb)
    assert answer.passage_id == "faq.is_it_cancer", (answer.passage_id, answer.alternatives)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # an aside in parentheses or a feeling told after the question mark does not replace the request
        ("Is the calcium spot in my liver dangerous? (by the way, can I still go to the gym)", "faq.is_it_dangerous"),
        ("calcif du foie, est-ce un cancer ? je panique complètement", "faq.is_it_cancer"),
        # usefulness of what was told before: the follow-up is questioned, not the tests in general
        ("an ultrasound every year for ten years for this liver calcification, is it really useful?",
         "faq.follow_up_how_often"),
        # where it comes from, as the goal of a test
        ("which blood tests can tell where the calcium in my liver comes from?", "faq.tests"),
        # causes in the speaker's words
        ("what put those calcium spots in my liver in the first place?", "faq.causes"),
        ("des dépôts calcaires dans le foie, ça vient de l'eau que je bois ?", "faq.causes"),
        # treatment in plain words
        ("will the surgeon need to cut me open to take the spot out of my liver?", "faq.surgery"),
    ],
)
def test_round6_phrasings_reach_their_answer(kb: KnowledgeBase, question: str, expected: str) -> None:
    answer = answer_question(question, kb=kb)
    assert answer.passage_id == expected, (answer.passage_id, answer.alternatives)


@pytest.mark.parametrize(
    "question",
    [
        # the finding placed in an organ calcitrack does not cover, whatever condition word comes with it
        "a calcified granuloma in my left lung from old TB, does it need follow-up?",
        "un granulome calcifié dans le sein droit, faut-il une biopsie ?",
        # gallbladder stones not said to be calcified
        "I have gallstones in my gallbladder, can a diet make them disappear?",
        "des calculs dans la vésicule biliaire, non calcifiés, faut-il opérer ?",
    ],
)
def test_round6_off_domain_questions_are_refused(kb: KnowledgeBase, question: str) -> None:
    assert not answer_question(question, kb=kb).answered


@pytest.mark.parametrize(
    "question",
    [
        "I had breast cancer; now a calcified granuloma in my liver, has it spread?",
        "ma vésicule est calcifiée (vésicule porcelaine), faut-il l'enlever ?",
        "the gallbladder wall is calcified and full of stones, is that serious?",
    ],
)
def test_round6_refusals_keep_the_domain_questions(kb: KnowledgeBase, question: str) -> None:
    assert answer_question(question, kb=kb).answered
