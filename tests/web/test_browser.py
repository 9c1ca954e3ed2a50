"""Browser tests: Playwright drives a real Chromium against the real app served by uvicorn.

The server runs in a subprocess on a free 127.0.0.1 port with a temporary SQLite registry prepared
by ``calcitrack db upgrade``, users created through the API's auth store, and the bundled demo reports
ingested (``calcitrack ingest`` + ``follow-up sweep``). Chromium is Debian's (``CALCITRACK_CHROMIUM``,
installed by scripts/browser.sh); without it the tests skip locally and fail in CI.

Screenshots of each page are written to docs/screenshots/ when ``CALCITRACK_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import free_port

from calcitrack.app.auth import add_user, create_key
from calcitrack.registry.db import make_engine, session_scope

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "src" / "calcitrack" / "examples" / "reports.jsonl"
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CALCITRACK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"no Chromium at {CHROMIUM} in CI: source scripts/browser.sh")
    pytest.skip(f"no Chromium at {CHROMIUM} (source scripts/browser.sh to install it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "calcitrack", *args], env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'ui.db'}"
    env = {**os.environ, "CALCITRACK_DATABASE_URL": url, "CALCITRACK_SECRET_KEY": "browser-test-secret"}
    _cli("db", "upgrade", env=env)
    _cli("ingest", str(EXAMPLES), "--by", "browser-test", env=env)
    _cli("follow-up", "sweep", env=env)
    engine = make_engine(url)
    keys = {}
    with session_scope(engine) as session:
        for name, role in (("cora", "coordinator"), ("claude.md", "clinician")):
            add_user(session, name, role, actor="test", source="test")
            keys[name] = create_key(session, name, actor="test", source="test")
    engine.dispose()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "calcitrack.api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("uvicorn did not start") from None
            time.sleep(0.2)
    yield {"base": base, **keys}
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(20000)
    yield tab
    context.close()


def shot(page: object, name: str, full_page: bool = True) -> None:
    if os.environ.get("CALCITRACK_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)  # type: ignore[attr-defined]


def log_in(page: object, server: dict[str, str], name: str, screenshot: bool = False) -> None:
    p = page
    p.goto(f"{server['base']}/")  # type: ignore[attr-defined]
    assert "/ui/login" in p.url  # type: ignore[attr-defined]
    p.get_by_label("User name").fill(name)  # type: ignore[attr-defined]
    p.get_by_label("API key").fill(server[name])  # type: ignore[attr-defined]
    if screenshot:
        shot(p, "login")
    p.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    p.wait_for_url("**/ui/analyse")  # type: ignore[attr-defined]


def test_log_in_and_analyse_english_and_french(page, server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, server, "claude.md", screenshot=True)
    expect = sync_api.expect
    expect(page.get_by_text("Signed in as")).to_be_visible()
    page.get_by_label("Or pick a bundled example").select_option("US-2026-0210")
    page.get_by_role("button", name="Analyse", exact=True).click()
    mark = page.locator("pre.report mark.finding").first
    expect(mark).to_have_attribute("data-action", "urgent")
    expect(mark).to_have_attribute("title", re.compile(r"^organ: bile ducts;.*size: 8 mm;.*action: Urgent"))
    # the impression names the lesion by its disease ("Choledocholithiasis"): that word characterises the
    # lesion (a stone) rather than being a second calcification mention
    expect(page.locator("pre.report mark.act-urgent")).to_have_count(1)
    assert page.locator("pre.report mark.act-urgent").first.evaluate("e => getComputedStyle(e).backgroundColor") \
        == "rgb(246, 193, 193)"
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").startswith(
        page.locator("#radiologist-sentence").inner_text()[:20])
    shot(page, "analyse-en")

    page.get_by_label("Report text").fill("")
    page.get_by_label("Or pick a bundled example").select_option("TDM-2026-0811")
    page.get_by_role("button", name="Analyse", exact=True).click()
    marks = page.locator("pre.report mark.finding")
    expect(marks).to_have_count(2)
    expect(marks.first).to_have_attribute("data-action", "workup")
    expect(page.locator("pre.report")).to_have_attribute("lang", "fr")
    expect(page.locator("#radiologist-sentence")).to_contain_text("bilan complémentaire")
    expect(page.locator("#context-form legend").first).to_be_visible()
    shot(page, "analyse-fr")

    page.emulate_media(media="print")
    page.locator("#letter-fr").evaluate("e => { e.classList.add('printing'); document.body.dataset.print = e.id; }")
    expect(page.locator("#letter-en")).to_be_hidden()
    expect(page.locator("#letter-fr")).to_be_visible()
    expect(page.locator("header.top")).to_be_hidden()
    shot(page, "patient-letter-print")
    page.emulate_media(media="screen")


def test_missing_information_answer_reruns_assessment(page, server) -> None:  # type: ignore[no-untyped-def]
    expect = sync_api.expect
    log_in(page, server, "claude.md")
    page.get_by_label("Report text").fill("Liver: 12 mm coarse calcification in segment IV.")
    page.get_by_role("button", name="Analyse", exact=True).click()
    expect(page.locator("pre.report mark.finding")).to_have_attribute("data-action", "workup")
    page.locator("#context-form").get_by_label("Known cancer").select_option("colorectal_mucinous")
    page.get_by_role("button", name="Re-assess with these answers").click()
    expect(page.locator("pre.report mark.finding")).to_have_attribute("data-action", "urgent")
    expect(page.get_by_text("Patient context used: Known cancer = colorectal (mucinous)")).to_be_visible()
    shot(page, "analyse-answered")


def test_switching_language_keeps_the_form(page, server) -> None:  # type: ignore[no-untyped-def]
    """Issue 17: EN -> FR on the analyse page keeps the text, the policy and the answers (re-posted, not a GET)."""
    expect = sync_api.expect
    log_in(page, server, "claude.md")
    text = "Liver: 12 mm coarse calcification in segment IV."
    page.get_by_label("Report text").fill(text)
    page.get_by_label("Policy").select_option("seed")
    page.get_by_role("button", name="Analyse", exact=True).click()
    page.locator("#context-form").get_by_label("Known cancer").select_option("colorectal_mucinous")
    page.get_by_role("button", name="Re-assess with these answers").click()
    expect(page.locator("pre.report mark.finding")).to_have_attribute("data-action", "urgent")
    page.locator(".langs a[hreflang=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Texte du compte rendu")).to_have_value(text)
    expect(page.locator("#policy")).to_have_value("seed")
    expect(page.locator("pre.report mark.finding")).to_have_attribute("data-action", "urgent")
    expect(page.locator("#context-used")).to_contain_text("Cancer connu = colorectal (mucineux)")
    page.locator(".langs a[hreflang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Report text")).to_have_value(text)
    expect(page.locator("#context-used")).to_contain_text("Known cancer = colorectal (mucinous)")


def test_a_lesion_block_lists_and_highlights_its_mentions(page, server) -> None:  # type: ignore[no-untyped-def]
    expect = sync_api.expect
    log_in(page, server, "claude.md")
    page.get_by_label("Report text").fill(
        "LIVER: Two punctate calcifications in the right lobe, the largest 3 mm.\n"
        "IMPRESSION: Tiny hepatic calcifications."
    )
    page.get_by_role("button", name="Analyse", exact=True).click()
    marks = page.locator("pre.report mark.finding")
    expect(marks).to_have_count(2)
    cards = page.locator("article.lesion-card")
    expect(cards).to_have_count(1)
    expect(cards.first.locator("a.mention")).to_have_count(2)
    expect(page.locator("#report-summary")).to_have_attribute("data-action", "no_followup")
    expect(page.locator("#report-summary .headline")).to_contain_text("No follow-up needed")
    cards.first.hover()
    expect(page.locator("pre.report mark.linked")).to_have_count(2)  # both mentions of the lesion light up
    page.mouse.move(0, 0)
    expect(page.locator("pre.report mark.linked")).to_have_count(0)
    shot(page, "analyse-lesion")


def test_coordinator_changes_a_follow_up_status(page, server) -> None:  # type: ignore[no-untyped-def]
    expect = sync_api.expect
    log_in(page, server, "cora")
    expect(page.get_by_role("link", name="Patients")).to_have_count(0)  # coordinators read no timelines
    page.get_by_role("link", name="Worklist").click()
    expect(page.locator("#count-open strong")).not_to_have_text("0")
    shot(page, "worklist")
    row = page.locator("tbody tr").first
    row_id = row.get_attribute("id")
    row.get_by_label("New status").select_option("cancelled")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("A reason is required")
    row = page.locator(f"#{row_id}")
    row.get_by_label("New status").select_option("scheduled")
    row.get_by_label("Reason").fill("booked for next week")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Status changed.")
    expect(page.locator(f"#{row_id} td.status")).to_contain_text("scheduled")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.startswith("worklist-")


def test_clinician_opens_a_timeline_with_its_chart(page, server) -> None:  # type: ignore[no-untyped-def]
    expect = sync_api.expect
    log_in(page, server, "claude.md")
    page.get_by_role("link", name="Worklist").click()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # clinicians change no status
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Patient id").fill("DEMO-001")
    page.get_by_role("button", name="Open timeline").click()
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(3)
    expect(page.locator("li[data-chain='A']")).to_have_count(3)  # one lesion per report, named twice in each
    expect(page.locator("li[data-chain='B']")).to_have_count(0)
    expect(page.locator("article[id^=followup-]").first).to_be_visible()
    shot(page, "timeline")


def test_questions_in_both_languages_and_language_switch(page, server) -> None:  # type: ignore[no-untyped-def]
    expect = sync_api.expect
    page.goto(f"{server['base']}/ui/knowledge")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Your question").fill("What is a calcified granuloma?")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#answer")).to_have_attribute("data-answered", "true")
    expect(page.locator("#answer")).to_have_attribute("lang", "en")
    shot(page, "knowledge-ask-en")
    page.get_by_role("link", name="FR", exact=True).click()  # from the answer page (a POST result)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith("/ui/knowledge")
    expect(page.get_by_role("heading", name="Base de connaissances")).to_be_visible()
    page.get_by_label("Votre question").fill("Qu'est-ce qu'un granulome calcifié ?")
    page.get_by_role("button", name="Demander").click()
    expect(page.locator("#answer")).to_have_attribute("data-answered", "true")
    expect(page.locator("#answer")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")  # the cookie keeps the choice
    shot(page, "knowledge-ask-fr")
    page.locator("a[href^='/ui/knowledge/conditions/']").first.click()
    expect(page.locator("h1")).to_be_visible()
    shot(page, "condition-fr")
    page.goto(f"{server['base']}/ui/knowledge/rules?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "rules", full_page=False)  # 50 rules: the first screenful is enough
