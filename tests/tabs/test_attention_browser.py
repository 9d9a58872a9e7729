"""In a real Chromium with no network: the attention tab draws bertviz's views inside its iframe."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
TOKENS = ["the", "animal", "didn", "street", "tired"]  # the tab's default text, as BERT tokens

pytestmark = [pytest.mark.browser, pytest.mark.system]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian Chromium is not installed at {CHROMIUM}: run scripts/install_browser.sh "
                    "(apt-get install chromium) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def offline_page(browser, app_url: str) -> tuple:
    """A page that reaches the app and nothing else; returns it, the URLs it was refused, its script errors."""
    page = browser.new_page()
    app_host = urlparse(app_url).netloc
    blocked: list[str] = []
    errors: list[str] = []

    def only_the_app(route):
        url = urlparse(route.request.url)
        if url.netloc == app_host or url.scheme in ("data", "blob", "about"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_app)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, blocked, errors


def test_attention_tab_draws_bertviz_with_no_network(app_url, browser):
    from playwright.sync_api import expect

    page, blocked, errors = offline_page(browser, app_url)
    page.goto(app_url)
    page.get_by_role("tab", name="Attention", exact=True).click()
    page.get_by_role("button", name="Show attention").click()
    frame = page.frame_locator('iframe[title="bertviz attention views"]')
    # The model is loaded on the first run: allow for it on a busy machine.
    expect(frame.locator("svg text", has_text="animal").first).to_be_visible(timeout=180_000)
    drawn = frame.locator("svg text").all_text_contents()
    assert all(token in drawn for token in TOKENS), drawn
    assert frame.locator("svg").count() >= 2  # the head view and the model view
    assert frame.locator("svg line, svg path").count() > 0  # the attention lines themselves
    assert not [url for url in blocked if "cdnjs" in url], blocked  # bertviz asked no CDN for anything
    assert errors == []
    page.close()
