"""The web chat end to end: Debian's headless Chromium, driven by Playwright, against uvicorn on loopback.

Playwright's own browser download cannot work here; the test uses /usr/bin/chromium (`.ci/run`
installs it). Without it the test skips on a developer machine and fails in CI.
"""

import http.server
import json
import os
import re
import threading
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# `make screenshot` points this at docs/screenshot.png; by default the picture goes to the test's own folder,
# so `make test` never rewrites a tracked file.
SCREENSHOT_ENV = "AUDITQA_SCREENSHOT"
QUESTION = "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?"


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser test; .ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def test_ask_stream_open_citation_and_screenshot(browser, server_url, tmp_path):
    expected = httpx.post(f"{server_url}/v1/ask", json={"question": QUESTION}, timeout=120).json()
    assert expected["grounded"] and expected["citations"]
    quotes = {c["n"]: c["quote"] for c in expected["citations"]}

    page = browser.new_page(viewport={"width": 1360, "height": 860}, device_scale_factor=1)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url + "/")
    # The municipality filter and the count are filled from /v1/documents (its municipalities and total).
    page.locator("#municipality option").nth(1).wait_for(state="attached")
    assert "Alvesta" in page.locator("#municipality").inner_text()
    listed = httpx.get(f"{server_url}/v1/documents", timeout=60).json()
    assert page.locator("#municipality option").count() == len(listed["municipalities"]) + 1
    assert page.locator("#corpus-status").inner_text().startswith(f"{listed['total']} rapporter från {len(listed['municipalities'])} kommuner")
    question = page.get_by_label("Din fråga")
    assert question.evaluate("el => el === document.activeElement")

    # Shift+Enter is a new line, Enter sends.
    question.type("Vilka kontrollmål")
    question.press("Shift+Enter")
    assert question.input_value() == "Vilka kontrollmål\n"
    question.fill(QUESTION)
    question.press("Enter")

    turn = page.locator(".turn").last
    turn.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    assert turn.locator(".question-bubble").inner_text() == QUESTION
    assert turn.locator(".answer-status").is_hidden()
    text = turn.locator(".answer-text").inner_text()
    assert "ej uppfyllt" in text
    chips = turn.locator(".answer-text button.chip")
    assert chips.count() >= 1
    assert question.evaluate("el => el === document.activeElement")  # focus back in the composer

    chip = chips.first
    n = int(chip.get_attribute("data-n"))
    chip.click()
    mark = page.locator("#reader-body mark")
    mark.wait_for(timeout=30_000)
    assert mark.count() == 1
    assert mark.inner_text() == quotes[n]
    assert page.locator("#reader-body .passage mark").count() == 1
    assert page.locator("#reader-title").inner_text() == expected["citations"][0]["title"]
    page.wait_for_timeout(700)  # let the smooth scroll settle
    assert mark.evaluate(
        "el => { const r = el.getBoundingClientRect(), b = document.querySelector('#reader-body').getBoundingClientRect();"
        " return r.top >= b.top && r.bottom <= b.bottom; }"
    )
    screenshot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "screenshot.png")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000

    # Escape closes the document and gives focus back to the chip.
    page.keyboard.press("Escape")
    assert page.locator("#reader").is_hidden()
    assert chip.evaluate("el => el === document.activeElement")
    assert errors == []
    page.close()


def test_follow_up_and_no_support_state(browser, server_url):
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(server_url + "/")
    question = page.get_by_label("Din fråga")
    question.fill("Vilka rekommendationer gavs i Alvesta?")
    question.press("Enter")
    page.locator('.turn .answer[aria-busy="false"]').first.wait_for(timeout=120_000)
    question.fill("Och i Hultsfred?")
    page.get_by_role("button", name="Skicka frågan").click()
    second = page.locator(".turn").nth(1)
    second.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    assert "Vilka rekommendationer gavs i Hultsfred?" in second.locator(".resolved").inner_text()
    assert "Hultsfred" in second.locator(".sources").inner_text()

    question.fill("Hur många flyktingar tog Göteborg emot 2017?")
    question.press("Enter")
    third = page.locator(".turn").nth(2)
    third.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    assert third.locator(".answer-status").inner_text() == "Inget stöd i rapporterna"
    assert third.locator(".sources").is_hidden()
    # No horizontal scrolling at phone width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("button", name="Starta en ny konversation").click()
    assert page.locator(".turn").count() == 0
    assert page.locator("#welcome").is_visible()
    page.close()



def test_an_english_question_is_answered_in_an_english_frame_around_the_swedish_quotes(browser, server_url):
    english = "Which control objectives were not met in Alvesta?"
    expected = httpx.post(f"{server_url}/v1/ask", json={"question": english}, timeout=120).json()
    quotes = {c["n"]: c["quote"] for c in expected["citations"]}
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url + "/")
    question = page.get_by_label("Din fråga")
    question.fill(english)
    question.press("Enter")
    turn = page.locator(".turn").last
    turn.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    text = turn.locator(".answer-text")
    assert text.locator("p.lead").first.inner_text() == "According to the reports (quoted in Swedish):"
    assert 'control objectives (kontrollmål) were assessed as not met ("ej uppfyllt")' in text.inner_text()
    # The English place of each item is set apart as the Swedish one is, and its chip opens the exact Swedish quote.
    assert text.locator("li .where").first.inner_text() == "(section 2.6.4)"
    chip = text.locator("button.chip").first
    chip.click()
    mark = page.locator("#reader-body mark")
    mark.wait_for(timeout=30_000)
    assert mark.inner_text() == quotes[int(chip.get_attribute("data-n"))]
    page.keyboard.press("Escape")

    # An English refusal names what the reports cover in a note of its own, as a Swedish one does.
    question.fill("What did the auditors conclude about the schools in Gothenburg?")
    question.press("Enter")
    refused = page.locator(".turn").last
    refused.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    assert refused.locator(".answer-text p").first.inner_text().startswith("I find no support in the reports")
    assert refused.locator(".answer-text p.note").inner_text().startswith("The reports cover ")
    assert errors == []
    page.close()

READ_KEY = "ui-read-0123456789abcdef"


@pytest.fixture(scope="module")
def keyed_server_url(corpus_settings, tmp_path_factory):
    """The app under uvicorn over the corpus home with an API key configured."""
    from fixtures.live_server import live_server

    log = tmp_path_factory.mktemp("keyed-server") / "uvicorn.log"
    with live_server(corpus_settings.home, log, env={"AUDITQA_API_KEYS": f"read:{READ_KEY}"}) as url:
        yield url


def test_with_keys_the_ui_asks_for_one_and_works_after_it_is_entered(browser, keyed_server_url):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(keyed_server_url + "/")
    key = page.get_by_label("API-nyckel", exact=True)
    key.wait_for(timeout=30_000)
    assert page.locator("#key-gate").is_visible()
    assert page.locator("#municipality option").count() == 1  # nothing could be listed without a key

    key.fill("fel-nyckel-0123456789")
    page.get_by_role("button", name="Använd nyckeln").click()
    page.locator("#key-error").wait_for(timeout=30_000)
    assert "godtogs inte" in page.locator("#key-error").inner_text()

    key.fill(READ_KEY)
    page.get_by_role("button", name="Använd nyckeln").click()
    page.locator("#municipality option").nth(1).wait_for(state="attached", timeout=30_000)
    assert page.locator("#key-gate").is_hidden()
    question = page.get_by_label("Din fråga")
    question.fill("Vilka rekommendationer gavs i Alvesta?")
    question.press("Enter")
    page.locator('.turn .answer[aria-busy="false"]').first.wait_for(timeout=120_000)
    question.fill("Och i Hultsfred?")
    question.press("Enter")
    second = page.locator(".turn").nth(1)
    second.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    assert "Vilka rekommendationer gavs i Hultsfred?" in second.locator(".resolved").inner_text()
    # The key is in this tab's sessionStorage, never in a cookie a cross-site request would carry.
    assert page.evaluate("sessionStorage.getItem('auditqa-api-key')") == READ_KEY
    assert page.context.cookies() == []
    assert errors == []
    page.close()


@pytest.fixture
def other_origin():
    """A page on another origin (another port of this machine) with no policy of its own: where an attack comes from."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><html lang='en'><title>elsewhere</title></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    thread.join(5)


def test_a_page_of_another_origin_cannot_replace_a_report(browser, server_url, other_origin):
    # The attack the Origin check stops: a page elsewhere posting a form blind, with no CORS and no key, to a
    # service that has no keys (every local caller is an admin).
    document = "alvesta-2018-introduktion-nyanlanda"
    before = httpx.get(f"{server_url}/v1/documents/{document}", timeout=30).json()["text"]
    page = browser.new_page()
    answered: list[int] = []
    page.on("response", lambda response: answered.append(response.status) if "/v1/documents" in response.url else None)
    page.goto(other_origin + "/")
    page.evaluate(
        """async (url) => {
            const body = new FormData();
            body.append("file", new Blob(["Alvesta kommun. Alla kontrollmål uppfyllda."], {type: "text/plain"}), "alvesta-2018-introduktion-nyanlanda.txt");
            await fetch(url, {method: "POST", mode: "no-cors", body});
        }""",
        f"{server_url}/v1/documents?replace=true&wait=true",
    )
    page.close()
    assert answered == [403]  # the request reached the service, which refused it
    assert httpx.get(f"{server_url}/v1/documents/{document}", timeout=30).json()["text"] == before


# ---- the chat features: history, feedback, export, stop, regenerate, dark mode, upload, accessibility ----

def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now. axe comes from the
    axe-playwright-python package (its bundled axe.min.js); it is evaluated over the DevTools protocol, which the
    page's Content-Security-Policy does not govern, so the page keeps its real policy while it is checked."""
    import importlib.util

    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        _unavailable("axe-playwright-python is not installed: pip install -e '.[dev]'")
    source = (Path(next(iter(spec.submodule_search_locations))) / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(source)
    # Colours are judged at rest: a turn that is still fading in has a contrast it never keeps (a slow machine
    # checks mid-animation). Endless animations (the typing dots) are not waited for.
    page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getTiming().iterations !== Infinity).map(a => a.finished.catch(() => null)))"
    )
    # label-content-name-mismatch is experimental in axe, so off unless asked for; the issue asked for it.
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations'], rules: {'label-content-name-mismatch': {enabled: true}}})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result if v["impact"] in ("serious", "critical")
    ]


def answered(page, index: int):
    turn = page.locator(".turn").nth(index)
    turn.locator('.answer[aria-busy="false"]').wait_for(timeout=120_000)
    return turn


def test_history_feedback_export_and_no_serious_axe_violations_after_a_conversation(browser, server_url, tmp_path):
    page = browser.new_page(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(server_url + "/")
    # The start state offers questions drawn from the loaded reports' findings; no page numbers are promised.
    page.locator("#examples .example").first.wait_for(timeout=30_000)
    offered = page.locator("#examples .example").all_inner_texts()
    assert any("Alvesta" in q for q in offered) and "sida" not in page.locator("#welcome-text").inner_text()

    question = page.get_by_label("Din fråga")
    question.fill("Vilka rekommendationer gavs i Alvesta?")
    question.press("Enter")
    first = answered(page, 0)
    question.fill("Och i Hultsfred?")
    question.press("Enter")
    second = answered(page, 1)
    assert "Vilka rekommendationer gavs i Hultsfred?" in second.locator(".resolved").inner_text()

    # One source entry per section, however many of its passages are cited; chips are at least 24 x 24 px.
    for turn in (first, second):
        places = turn.locator(".source").all_inner_texts()
        assert len(places) == len(set(places)), places
    chip = first.locator(".answer-text button.chip").first
    box = chip.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    # Its accessible name starts with the number it shows, then says which source it is.
    from playwright.sync_api import expect

    expect(chip).to_have_accessible_name(re.compile(rf"^{chip.inner_text()}: Källa .+\(Alvesta 2018\)"))

    # 👍 with a comment is kept with the turn and exported as an eval item whose gold is the answer's quotes.
    first.get_by_role("button", name="Bra svar").click()
    assert first.get_by_role("button", name="Bra svar").get_attribute("aria-pressed") == "true"
    first.get_by_label("Vad var bra eller fel? (valfritt)").fill("Precis rätt rekommendationer.")
    first.get_by_role("button", name="Skicka kommentar").click()
    first.get_by_text("Tack! Kommentaren är sparad.").wait_for(timeout=10_000)
    exported = [json.loads(line) for line in httpx.get(f"{server_url}/v1/feedback/export", timeout=30).text.splitlines()]
    item = next(i for i in exported if i["question"] == "Vilka rekommendationer gavs i Alvesta?" and "Precis rätt" in i["notes"])
    assert item["answerable"] and item["gold"]

    # The conversation as Markdown, with its citations and quotes.
    with page.expect_download() as download:
        page.get_by_role("button", name="Exportera samtal").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## Vilka rekommendationer gavs i Alvesta?" in markdown and "### Källor" in markdown and "\n> " in markdown

    # The conversation is in the history; it can be renamed.
    entry = page.locator(".history-item").first
    entry.wait_for(timeout=10_000)
    assert entry.locator(".history-open").inner_text() == "Vilka rekommendationer gavs i Alvesta?"
    entry.get_by_role("button", name="Byt namn på Vilka rekommendationer gavs i Alvesta?").click()
    page.get_by_label("Nytt namn på samtalet").fill("Rekommendationer")
    page.get_by_label("Nytt namn på samtalet").press("Enter")
    renamed = page.locator(".history").get_by_role("button", name="Rekommendationer", exact=True)
    renamed.wait_for(timeout=10_000)

    # Open a source, then check the whole page: no serious or critical axe-core violation.
    first.locator(".source").first.click()
    page.locator("#reader-body mark").first.wait_for(timeout=30_000)
    assert axe_violations(page) == []
    page.keyboard.press("Escape")

    # A bare follow-up in a new conversation asks what is meant instead of answering.
    page.get_by_role("button", name="Starta en ny konversation").click()
    question.fill("Och i Hultsfred?")
    question.press("Enter")
    bare = answered(page, 0)
    assert bare.locator(".answer-status").inner_text() == "Förtydliga frågan"
    assert bare.locator(".sources").is_hidden()

    # Reopening the renamed conversation shows its turns with their sources.
    renamed.click()
    page.locator(".turn").nth(1).wait_for()
    assert page.locator(".turn .question-bubble").all_inner_texts() == ["Vilka rekommendationer gavs i Alvesta?", "Och i Hultsfred?"]
    assert page.locator(".turn").first.locator(".source").count() >= 1
    assert axe_violations(page) == []

    # Deleting asks once more, then the conversation is gone from the list and from the server.
    history = page.locator(".history")
    history.get_by_role("button", name="Ta bort Rekommendationer", exact=True).click()
    history.get_by_role("button", name="Bekräfta: ta bort Rekommendationer", exact=True).click()
    renamed.wait_for(state="detached", timeout=10_000)
    assert all(c["title"] != "Rekommendationer" for c in httpx.get(f"{server_url}/v1/conversations", timeout=30).json()["conversations"])
    assert errors == []
    page.close()


def test_a_filter_that_excludes_the_named_municipality_is_said_and_never_contradicted(browser, server_url):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(server_url + "/")
    page.locator("#municipality option").nth(1).wait_for(state="attached")
    page.locator("#municipality").select_option("Kalmar")
    question = page.get_by_label("Din fråga")
    question.fill("Vilka rekommendationer gavs i Alvesta?")
    question.press("Enter")
    turn = answered(page, 0)
    assert turn.locator(".answer-status").inner_text() == "Inget stöd i rapporterna"
    assert "filtret begränsar svaren till Kalmar" in turn.locator(".answer-text").inner_text()
    question.fill("Vem skrev rapporten?")
    question.press("Enter")
    follow = answered(page, 1)
    resolved = follow.locator(".resolved")
    assert resolved.is_hidden() or "Alvesta" not in resolved.inner_text()
    assert "Alvesta" not in follow.locator(".sources").inner_text()
    page.close()

    # Refused about Göteborg, then filtered to Kalmar: the next question is read as about Kalmar, not Göteborg.
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(server_url + "/")
    page.locator("#municipality option").nth(1).wait_for(state="attached")
    question = page.get_by_label("Din fråga")
    question.fill("Vilka rekommendationer gavs i Göteborg?")
    question.press("Enter")
    assert answered(page, 0).locator(".answer-status").inner_text() == "Inget stöd i rapporterna"
    page.locator("#municipality").select_option("Kalmar")
    question.fill("Vilka rekommendationer gavs?")
    question.press("Enter")
    kalmar = answered(page, 1)
    assert "Göteborg" not in kalmar.locator(".resolved").inner_text()
    assert "Kalmar" in kalmar.locator(".sources").inner_text() and "Göteborg" not in kalmar.locator(".answer-text").inner_text()
    page.close()


def test_stop_keeps_what_came_and_regenerate_answers_again(browser, server_url):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(server_url + "/")
    question = page.get_by_label("Din fråga")
    held: list = []
    page.route("**/v1/ask", lambda route: held.append(route))  # the answer never comes until the user stops it
    question.fill("Vilka rekommendationer gavs i Alvesta?")
    question.press("Enter")
    stop = page.get_by_role("button", name="Stoppa svaret")
    stop.wait_for(timeout=10_000)
    assert page.locator("#send").is_hidden()
    stop.click()
    turn = page.locator(".turn").first
    assert turn.locator(".answer-status").inner_text() == "Svaret stoppades"
    assert page.get_by_role("button", name="Skicka frågan").is_visible()
    page.unroute("**/v1/ask")

    question.fill("Vem skrev Kalmarrapporten?")
    question.press("Enter")
    first = answered(page, 1)
    before = first.locator(".answer-text").inner_text()
    first.get_by_role("button", name="Svara igen").click()
    again = answered(page, 1)
    assert page.locator(".turn").count() == 2  # the new answer takes the old one's place
    assert again.locator(".answer-text").inner_text() == before
    page.close()


def test_dark_mode_follows_the_system_and_stays_accessible(browser, server_url):
    context = browser.new_context(color_scheme="dark", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto(server_url + "/")
    question = page.get_by_label("Din fråga")
    question.fill("Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?")
    question.press("Enter")
    answered(page, 0)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 25, 28)"
    assert axe_violations(page) == []
    context.close()


@pytest.fixture
def upload_server_url(corpus_home, tmp_path):
    """Uploads change the index: a server over a copy of the corpus home, so the other tests' index stays as it is."""
    import shutil

    from fixtures.live_server import live_server

    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    with live_server(home, tmp_path / "uvicorn.log") as url:
        yield url


def test_upload_by_drop_follows_the_job_and_offers_to_replace(browser, upload_server_url, tmp_path):
    report = tmp_path / "vaxjo-2020-bostader.txt"
    report.write_text(
        "Revisionsrapport\n\nGranskning av bostadsförsörjningen\n\nVäxjö kommun\n\n2020\n\nSammanfattning\n\n"
        "Vår samlade bedömning är att kommunstyrelsen delvis har säkerställt en ändamålsenlig bostadsförsörjning.\n",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(upload_server_url + "/")
    page.locator("#municipality option").nth(1).wait_for(state="attached")
    page.get_by_role("button", name="Ladda upp rapport").click()
    # A drop: the file arrives through a DataTransfer, as from the desktop.
    data = page.evaluate_handle(
        "([name, text]) => { const dt = new DataTransfer(); dt.items.add(new File([text], name, {type: 'text/plain'})); return dt; }",
        [report.name, report.read_text(encoding="utf-8")],
    )
    page.locator("#dropzone").dispatch_event("drop", {"dataTransfer": data})
    status = page.locator("#upload-status")
    status.get_by_text("är inläst").wait_for(timeout=120_000)
    page.locator('#municipality option[value="Växjö"]').wait_for(state="attached", timeout=30_000)

    # The same file again: the server's 409 becomes an offer to replace it.
    page.locator("#upload-file").set_input_files(str(report))
    replace = page.get_by_role("button", name="Ersätt den befintliga rapporten")
    replace.wait_for(timeout=30_000)
    assert "finns redan" in status.inner_text()
    replace.click()
    status.get_by_text("är inläst").wait_for(timeout=120_000)
    assert replace.is_hidden()
    page.close()
