"""The web chat end to end: Debian's headless Chromium, driven by Playwright, against uvicorn on loopback.

Playwright's own browser download cannot work here; the test uses /usr/bin/chromium (`.ci/run`
installs it). Without it the test skips on a developer machine and fails in CI.
"""

import http.server
import os
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
    # The municipality filter is filled from /v1/documents.
    page.wait_for_function("document.querySelectorAll('#municipality option').length > 1")
    assert "Alvesta" in page.locator("#municipality").inner_text()
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
    page.wait_for_function("document.querySelectorAll('#municipality option').length > 1", timeout=30_000)
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
