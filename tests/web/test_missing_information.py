"""The missing-information form (issue 17): every question has an input of the kind its answer needs, a
fact the report already states is not asked, and answering a fact about the lesion re-runs its assessment."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.web.conftest import csrf_of

Login = Callable[[str], TestClient]
FIELDSET = re.compile(r'<fieldset data-question="(Q\d+)">(.*?)</fieldset>', re.S)
SMALL = "Liver: 3 mm punctate calcification in segment VI."


def _analyse(client: TestClient, text: str, **answers: str) -> str:
    token = csrf_of(client.get("/ui/analyse").text)
    response = client.post("/ui/analyse", data={"csrf": token, "text": text, "lang": "en", **answers})
    assert response.status_code == 200
    return response.text


def test_every_question_has_an_input(login: Login) -> None:
    html = _analyse(login("clinician"), SMALL)
    questions = FIELDSET.findall(html)
    assert len(questions) >= 5
    for qid, body in questions:
        assert re.search(r"<(select|input) ", body), f"{qid} has no input"
        assert "ctx.finding_only" not in body
    by_id = dict(questions)
    assert 'name="fnd_l1_interval_change"' in by_id["Q2"] and "<select" in by_id["Q2"]
    assert 'name="fnd_l1_associated_mass"' in by_id["Q14"]
    assert 'name="ctx_prior_liver_treatment" value="tace_lipiodol"' in by_id["Q9"]  # one box per treatment
    assert 'type="checkbox"' in by_id["Q9"]


def test_the_size_question_takes_a_number(login: Login) -> None:
    html = _analyse(login("clinician"), "Spleen: multiple punctate calcifications.")
    body = dict(FIELDSET.findall(html))["Q15"]
    assert re.search(r'name="fnd_l1_size_mm" type="number"', body)


def test_a_stated_age_is_not_asked_again(login: Login) -> None:
    client = login("clinician")
    unknown = _analyse(client, SMALL)
    assert 'name="ctx_age" type="number"' in unknown
    stated = _analyse(client, f"45-year-old woman. {SMALL}")
    assert 'name="ctx_age"' not in stated
    assert 'name="ctx_fetal_finding"' in stated  # the rest of the question is still asked
    assert re.search(r'id="context-stated">[^<]*Age \(years\) = 45', stated)


def test_answering_a_lesion_fact_reassesses_it(login: Login) -> None:
    client = login("clinician")
    before = _analyse(client, SMALL)
    assert 'class="finding act-no_followup"' in before
    after = _analyse(client, SMALL, fnd_l1_associated_mass="yes")
    assert 'class="finding act-no_followup"' not in after
    assert re.search(r'class="finding act-(workup|urgent)"', after)
    # no longer missing, so no longer asked; the answer travels on with the form for the next re-run
    assert '<input type="hidden" name="fnd_l1_associated_mass" value="yes">' in after


def test_ticked_treatments_are_read_as_a_list(login: Login) -> None:
    client = login("clinician")
    token = csrf_of(client.get("/ui/analyse").text)
    response = client.post("/ui/analyse", data={"csrf": token, "text": "Liver: coarse calcification in segment IV.",
                                                "lang": "en", "ctx_prior_liver_treatment": ["surgery", "biopsy"]})
    assert "Prior liver treatment = surgery, biopsy" in response.text
