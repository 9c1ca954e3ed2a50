"""Natural patient questions (issue 17): the development, held-out and third sets, the known misses,
and ``calcitrack eval-qa FILE`` with its per-language figures.

The sets live in tests/data/qa/. Their history matters for what the thresholds mean (see each file's
header and docs/explanations.md): the development set was used to tune; the held-out set scored 0.833 on
its one honest measurement and its misses guided the second (last) round of changes, so its threshold
below is a regression guard, not a generalisation claim; the third set was written after that round
and measured once: top-1 0.700, under the 0.9 target. Round 3 read the misses of all three sets (so
their thresholds are regression guards), then the fourth set was written and measured once with the
system unchanged: top-1 0.741 (40/54), top-3 0.889, refusals 10/10. Round 4 read the fourth set's
misses and added mechanisms (see explain/qa/intents.py and retrieval.py), so all four thresholds are now
regression guards: they say nothing about the 0.9 target on questions never seen, which only a set
written after round 4 and measured once can tell. That was the fifth set: top-1 0.839 (47/56), refusals
13/15 on its one measurement. Round 5 read its misses and added mechanisms (organs and dietary topics
outside the scope refused, sampling verbs and lab requests, a complaint linked by "causing this", a
condition named by a whole name keeping the answer), so the fifth threshold is a regression guard too.
The sixth set was written after round 5 and measured once: top-1 0.862 (50/58), refusals 14/15, still
under the target. Round 6 read its misses (an aside or a feeling after the question mark is not the
request, a named condition without a passage on the request answers through its own description, a
foreign organ named as the place refuses, gallbladder stones not said to be calcified refuse, purpose
words question what was told before). The seventh set was written during round 6 and measured once
midway: top-1 0.857 (48/56), refusals 12/14; its misses were read too. The eighth set was written after
round 6 and measured once, system unchanged: top-1 0.929 (52/56), top-3 0.964, refusals 16/16, the first
blind figure over both targets. It is asserted below so that a change cannot silently drop it under the
target; it must not be tuned on (a miss there is fixed by a mechanism checked on other phrasings).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from calcitrack.explain import answer_question
from calcitrack.explain.qa.answer import retriever_for
from calcitrack.explain.qa.evaluate import EvalSet, evaluate, load_eval_set
from calcitrack.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "qa"
DEV = DATA / "natural_dev.yaml"
HELDOUT = DATA / "natural_heldout.yaml"
THIRD = DATA / "natural_third.yaml"
FOURTH = DATA / "natural_fourth.yaml"
FIFTH = DATA / "natural_fifth.yaml"
SIXTH = DATA / "natural_sixth.yaml"
SEVENTH = DATA / "natural_seventh.yaml"
EIGHTH = DATA / "natural_eighth.yaml"


def _shape(eval_set: EvalSet, minimum: int) -> None:
    """At least ``minimum`` questions, both languages about half each, some off-domain ones in each."""
    questions = eval_set.questions
    assert len(questions) >= minimum
    langs = [q.lang for q in questions]
    assert set(langs) == {"en", "fr"}
    assert abs(langs.count("en") - langs.count("fr")) <= len(questions) // 5
    off = [q for q in questions if q.refuse]
    assert 0.1 <= len(off) / len(questions) <= 0.25
    assert {q.lang for q in off} == {"en", "fr"}


@pytest.mark.parametrize(
    ("path", "minimum"), [(DEV, 60), (HELDOUT, 60), (THIRD, 30), (FOURTH, 60), (FIFTH, 60), (SIXTH, 60),
     (SEVENTH, 60), (EIGHTH, 60)],
)
def test_sets_have_the_required_shape_and_real_ids(kb: KnowledgeBase, path: Path, minimum: int) -> None:
    eval_set = load_eval_set(path)
    _shape(eval_set, minimum)
    passage_ids = {p.id for p in retriever_for(kb).passages}
    for item in eval_set.questions:
        if item.expect:
            assert item.expect in passage_ids or item.expect in kb.conditions, item.expect
    for group in eval_set.equivalent:
        assert len(group) >= 2 and set(group) <= passage_ids, group


def test_sets_do_not_repeat_each_other() -> None:
    seen: set[str] = set()
    for path in (DEV, HELDOUT, THIRD, FOURTH, FIFTH, SIXTH, SEVENTH, EIGHTH):
        questions = {q.q.lower() for q in load_eval_set(path).questions}
        assert not questions & seen, questions & seen
        seen |= questions


@pytest.mark.parametrize("path", [DEV, HELDOUT])
def test_dev_and_heldout_reach_the_target(kb: KnowledgeBase, path: Path) -> None:
    result = evaluate(load_eval_set(path), kb=kb)
    misses = [(q.q, a.passage_id) for q, a in result.misses]
    assert result.top1_accuracy >= 0.9, misses
    assert result.refusal_accuracy == 1.0, misses
    for lang, part in result.by_lang.items():
        assert part.refused == part.total_refusable, lang
        assert part.top1_accuracy >= 0.85, (lang, misses)


def test_third_set_keeps_its_level(kb: KnowledgeBase) -> None:
    """Measured once after round 2: top-1 0.700, top-3 0.967, refusals 6/6. Round 3 read its misses:
    top-1 0.900; after round 4, 1.000, top-3 1.000 (a regression guard, not a fresh figure)."""
    result = evaluate(load_eval_set(THIRD), kb=kb)
    assert result.refusal_accuracy == 1.0
    assert result.top1_accuracy >= 0.95
    assert result.top3_accuracy >= 0.95


def test_fourth_set_keeps_its_level(kb: KnowledgeBase) -> None:
    """Written after round 3 and measured once, system unchanged: top-1 0.741 (40/54, en 20/27, fr
    20/27; the same with or without the set's equivalences), top-3 0.889, refusals 10/10. Round 4 read
    its misses; since then top-1 1.000 (54/54), top-3 1.000 (a regression guard, not a fresh figure)."""
    result = evaluate(load_eval_set(FOURTH), kb=kb)
    assert result.refusal_accuracy == 1.0
    assert result.top1_accuracy >= 0.95 and result.top1_strict >= 51
    assert result.top3_accuracy >= 0.95
    for lang, part in result.by_lang.items():
        assert part.refused == part.total_refusable, lang


def test_fifth_set_keeps_its_level(kb: KnowledgeBase) -> None:
    """Written after round 4 and measured once, system unchanged: top-1 0.839 (47/56, en 22/28, fr 25/28),
    top-3 0.875, refusals 13/15. Round 5 read its misses (so this is a regression guard, not a fresh
    figure); since then top-1 1.000 (56/56), refusals 15/15."""
    result = evaluate(load_eval_set(FIFTH), kb=kb)
    misses = [(q.q, a.passage_id) for q, a in result.misses]
    assert result.refusal_accuracy == 1.0, misses
    assert result.top1_accuracy >= 0.95, misses
    for lang, part in result.by_lang.items():
        assert part.refused == part.total_refusable, lang


def test_sixth_and_seventh_sets_keep_their_level(kb: KnowledgeBase) -> None:
    """Both measured once (0.862 and 0.857 top-1), then read in round 6: regression guards."""
    for path in (SIXTH, SEVENTH):
        result = evaluate(load_eval_set(path), kb=kb)
        misses = [(q.q, a.passage_id) for q, a in result.misses]
        assert result.refusal_accuracy == 1.0, misses
        assert result.top1_accuracy >= 0.9, misses


def test_eighth_set_meets_the_target(kb: KnowledgeBase) -> None:
    """Written after round 6, measured once with the system unchanged: top-1 0.929 (52/56; en 25/28, fr
    27/28), top-3 0.964, refusals 16/16 (issue 17: top-1 >= 0.9 and every off-domain question refused)."""
    result = evaluate(load_eval_set(EIGHTH), kb=kb)
    assert result.refusal_accuracy == 1.0
    assert result.top1_accuracy >= 0.9
    for lang, part in result.by_lang.items():
        assert part.refused == part.total_refusable, lang


def test_equivalent_answers_are_listed_in_the_set_and_counted_apart(kb: KnowledgeBase) -> None:
    """The held-out set lists faq.fetal and the fetal condition's "about" passage as one answer (same
    patient sentences); top-1 counts them as one, top1_strict does not."""
    eval_set = load_eval_set(HELDOUT)
    assert eval_set.accepted("faq.fetal") == {"faq.fetal", "fetal_neonatal_hepatic_calcification.about"}
    assert eval_set.accepted("faq.causes") == {"faq.causes"}
    result = evaluate(eval_set, kb=kb)
    assert result.top1_strict <= result.top1
    strict = evaluate(EvalSet(questions=eval_set.questions), kb=kb)
    assert strict.top1 == strict.top1_strict == result.top1_strict


@pytest.mark.parametrize(
    ("question", "expected", "wrong"),
    [
        (
            "My ultrasound says I have a calcification in my liver. Is it cancer?",
            "faq.is_it_cancer",
            "faq.follow_up_how_often",
        ),
        (
            "Mon échographie dit que j'ai une calcification dans le foie. Est-ce un cancer ?",
            "faq.is_it_cancer",
            "faq.follow_up_how_often",
        ),
        ("D'où vient cette calcification dans mon foie ?", "faq.causes", "faq.cirrhosis"),
    ],
)
def test_known_misses_of_issue_17(kb: KnowledgeBase, question: str, expected: str, wrong: str) -> None:
    answer = answer_question(question, kb=kb)
    assert answer.answered and answer.passage_id == expected
    assert answer.sources and all(source in kb.sources for source in answer.sources)
    assert wrong not in {answer.passage_id, *(alt.passage_id for alt in answer.alternatives[:1])}


def test_the_answer_keeps_the_question_language(kb: KnowledgeBase) -> None:
    french = answer_question("D'où vient cette calcification dans mon foie ?", kb=kb)
    assert french.lang == "fr" and "infection" in french.answer and "Most" not in french.answer


def test_evaluation_counts_per_language(kb: KnowledgeBase) -> None:
    result = evaluate(load_eval_set(DEV), kb=kb)
    assert set(result.by_lang) == {"en", "fr"}
    assert sum(p.total_answerable for p in result.by_lang.values()) == result.total_answerable
    assert sum(p.total_refusable for p in result.by_lang.values()) == result.total_refusable
    assert sum(p.top1 for p in result.by_lang.values()) == result.top1


def test_eval_qa_command_reads_a_set_and_prints_per_language_figures() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CALCITRACK_POLICY"}
    result = subprocess.run(
        [sys.executable, "-m", "calcitrack", "eval-qa", str(HELDOUT), "--no-misses"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=ROOT,
        input="",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("en: top-1 ") and "refused 6/6 off-domain" in line for line in lines), lines
    assert any(line.startswith("fr: top-1 ") and "refused 6/6 off-domain" in line for line in lines), lines
    assert "refusal accuracy: 1.000 (12/12)" in result.stdout
