"""Question answering: contract, refusals, accuracy on the evaluation set, FAQ validation, normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from calcitrack.explain import answer_question
from calcitrack.explain.qa.answer import retriever_for
from calcitrack.explain.qa.evaluate import EvalQuestion, evaluate, load_eval_set
from calcitrack.explain.qa.faq import FaqFile, check_faq, load_faq
from calcitrack.explain.qa.normalize import detect_lang, fold, stem, tokens
from calcitrack.kb import KBError, KnowledgeBase

EVAL_SET = Path(__file__).parent / "qa_eval.yaml"
CONTRACT = {"question", "lang", "answered", "answer", "condition_id", "passage_id", "sources", "score", "alternatives"}
OFF_DOMAIN = [
    "how do I bake bread",
    "quel temps fera-t-il demain",
    "what is the capital of France",
    "my knee hurts after running",
    "what is the interest rate today",
    "how do I fix a flat tyre on my bike",
    "quelle est la recette de la ratatouille",
    "is cancer contagious",
    "I have kidney stones, what should I eat",
    "what is an ovarian cyst",
    "how do I keep my liver healthy",
    "what is hepatitis C",
    "lung cancer treatment",
    "I have white spots on my nails",
    "taches blanches sur la peau",
    "what is the interest rate of my loan",
]


def test_answer_contract(kb: KnowledgeBase) -> None:
    answer = answer_question("Is a liver calcification dangerous?", kb=kb)
    data = answer.model_dump(mode="json")
    assert set(data) == CONTRACT
    assert answer.answered and answer.lang == "en"
    assert answer.passage_id and answer.sources and answer.score > 0
    assert all(source in kb.sources for source in answer.sources)
    assert len(answer.alternatives) == 3
    assert all(alt.passage_id != answer.passage_id for alt in answer.alternatives)
    assert answer.alternatives[0].score <= answer.score


def test_french_question_gets_a_french_answer_and_can_be_forced_to_english(kb: KnowledgeBase) -> None:
    french = answer_question("Faut-il opérer une calcification du foie ?", kb=kb)
    assert french.lang == "fr" and french.answered
    assert "opération" in french.answer or "chirurgie" in french.answer
    english = answer_question("Faut-il opérer une calcification du foie ?", "en", kb=kb)
    assert english.lang == "en" and english.passage_id == french.passage_id
    assert english.answer != french.answer


@pytest.mark.parametrize("question", OFF_DOMAIN)
def test_off_domain_questions_are_refused_politely(kb: KnowledgeBase, question: str) -> None:
    answer = answer_question(question, kb=kb)
    assert not answer.answered
    assert answer.passage_id is None and answer.condition_id is None
    assert answer.sources == [] and answer.alternatives == []
    assert "doctor" in answer.answer or "médecin" in answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("does it need surgery?", "faq.surgery"),
        ("how often should it be checked?", "faq.follow_up_how_often"),
        ("is it dangerous?", "faq.is_it_dangerous"),
        ("est-ce grave ?", "faq.is_it_dangerous"),
        ("why did this happen?", "faq.causes"),
        ("comment la soigner ?", "faq.surgery"),
    ],
)
def test_questions_about_it_get_a_general_answer(kb: KnowledgeBase, question: str, expected: str) -> None:
    """The seeds' FAQ style: "it" is the finding, so the answer comes from the general FAQ entries."""
    answer = answer_question(question, kb=kb)
    assert answer.answered and answer.passage_id == expected


@pytest.mark.parametrize(
    "question", ["what time is it?", "can you help me with it?", "is it going to rain?", "c'est quoi ça"]
)
def test_questions_about_it_without_a_topic_are_refused(kb: KnowledgeBase, question: str) -> None:
    assert not answer_question(question, kb=kb).answered


def test_accuracy_on_the_evaluation_set(kb: KnowledgeBase) -> None:
    eval_set = load_eval_set(EVAL_SET)
    answerable = [q for q in eval_set.questions if not q.refuse]
    assert len(answerable) >= 60 and len(eval_set.questions) - len(answerable) >= 10
    assert {q.lang or detect_lang(q.q) for q in answerable} == {"en", "fr"}
    result = evaluate(eval_set, kb=kb)
    assert result.top1_accuracy >= 0.9, [(q.q, a.passage_id) for q, a in result.misses]
    assert result.top3_accuracy >= 0.95
    assert result.refusal_accuracy == 1.0


def test_evaluation_expectations_name_real_ids(kb: KnowledgeBase) -> None:
    passage_ids = {p.id for p in retriever_for(kb).passages}
    for item in load_eval_set(EVAL_SET).questions:
        if item.expect:
            assert item.expect in kb.conditions or item.expect in passage_ids, item.expect


def test_eval_item_needs_exactly_one_expectation() -> None:
    with pytest.raises(ValueError):
        EvalQuestion(q="x")
    with pytest.raises(ValueError):
        EvalQuestion(q="x", expect="faq.tests", refuse=True)


def test_faq_is_valid_and_consistent_with_the_kb(kb: KnowledgeBase) -> None:
    faq = load_faq(kb.directory)
    assert check_faq(faq, kb) == []
    assert len(faq.faq) >= 15
    for entry in faq.faq:
        assert entry.questions.en and entry.questions.fr


def test_faq_cross_check_reports_unknown_ids(kb: KnowledgeBase) -> None:
    faq = load_faq(kb.directory)
    broken = FaqFile.model_validate(
        {**faq.model_dump(), "faq": [{**faq.faq[0].model_dump(), "sources": ["S999"], "condition": "nope"}]}
    )
    problems = check_faq(broken, kb)
    assert any("S999" in p for p in problems) and any("nope" in p for p in problems)


def test_faq_schema_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "faq.yaml").write_text(
        yaml.safe_dump({"faq": [{"id": "bad id", "questions": {}, "answer": {}, "sources": []}], "domain_terms": ["x"]})
    )
    with pytest.raises(KBError, match=r"faq\.yaml"):
        load_faq(tmp_path)


def test_every_passage_has_an_answer_in_both_languages_and_sources(kb: KnowledgeBase) -> None:
    passages = retriever_for(kb).passages
    condition_ids = {p.condition_id for p in passages if not p.id.startswith("faq.")}
    assert condition_ids == set(kb.conditions)
    for passage in passages:
        assert passage.answer["en"] and passage.answer["fr"] and passage.sources


def test_normalisation() -> None:
    assert fold("Tâches blanches sur le FOIE, échographie") == "taches blanches sur le foie, echographie"
    assert stem("calcifications") == stem("calcified") == stem("calcifiée")
    assert stem("echinococcosis") == stem("échinococcose".replace("é", "e"))
    assert stem("biopsies") == stem("biopsy")
    assert tokens("Qu'est-ce qu'une calcification ?") == ["quoi", stem("calcification")]
    assert "le" not in tokens("le foie") and "foie" in tokens("le foie")
    assert detect_lang("Est-ce grave une calcification du foie ?") == "fr"
    assert detect_lang("Is a liver calcification dangerous?") == "en"


def test_faq_answers_are_plain_language(kb: KnowledgeBase) -> None:
    """Patients read these answers: same readability targets as the letter, in both languages."""
    from calcitrack.explain.readability import readability

    for entry in load_faq(kb.directory).faq:
        for lang in ("en", "fr"):
            result = readability(" ".join(entry.answer.get(lang).split()), lang)
            assert result.ok, f"{entry.id} ({lang}): {result.measure} {result.score:.1f}"


def test_every_condition_is_reachable_by_its_names(kb: KnowledgeBase) -> None:
    """General retrieval, not rules for the evaluation set: aspect questions built from each condition's
    first two names in each language reach that condition (468 questions with the current KB; 461
    reached since round 3 of issue 17, when intent words inside a named condition's name became topic)."""
    templates = {
        "en": ["what is {n}?", "is {n} dangerous?", "how is {n} treated?", "what tests for {n}?"],
        "fr": ["qu'est-ce que {n} ?", "{n} : est-ce grave ?", "comment traiter {n} ?", "quels examens pour {n} ?"],
    }
    total = right = 0
    for condition in kb.conditions.values():
        for lang, forms in templates.items():
            for name in condition.names.get(lang)[:2]:
                for form in forms:
                    answer = answer_question(form.format(n=name), kb=kb)
                    total += 1
                    right += answer.answered and answer.condition_id == condition.id
    assert right / total >= 0.98, f"{right}/{total}"
