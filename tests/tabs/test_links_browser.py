"""In a real Chromium with no network: a link (?open=...) selects its tab, fills it and runs it; a view's Copy link
gives a link that brings its inputs back; junk in a link is a clear error on the page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from models.tasks import sentiment
from tabs import sentiment as sentiment_tab
from tests.support.browser import WIDE, offline_page

pytestmark = [pytest.mark.browser, pytest.mark.system]
SENTENCE = "I loved every minute of it."
LOADED = 180_000  # ms: the first run loads the model, on a busy machine


def opened(browser, app_url: str, query: dict[str, str]):
    page, _, errors = offline_page(browser, app_url)
    page.set_viewport_size(WIDE)
    page.goto(f"{app_url}?{urlencode(query)}")
    return page, errors


def test_a_link_selects_its_tab_fills_it_and_runs_it(app_url, browser):
    from playwright.sync_api import expect

    page, errors = opened(browser, app_url, {"open": "sentiment", "text": SENTENCE})
    expect(page.get_by_role("tab", name=sentiment_tab.TITLE, exact=True)).to_have_attribute(
        "aria-selected", "true", timeout=60_000)
    panel = page.locator("[role=tabpanel]:visible").first
    expect(panel.locator("textarea").first).to_have_value(SENTENCE)
    scores = sentiment.classify(SENTENCE)
    best = max(scores, key=scores.get)
    # The Label shows the top class once the view has run: nobody pressed its button.
    expect(panel.get_by_test_id("label-output-value")).to_have_text(best, timeout=LOADED)
    assert errors == []
    page.close()


def test_copy_link_gives_a_link_that_brings_the_inputs_back(app_url, browser):
    from playwright.sync_api import expect

    page, errors = opened(browser, app_url, {})
    page.get_by_role("tab", name=sentiment_tab.TITLE, exact=True).click()
    panel = page.locator("[role=tabpanel]:visible").first
    panel.locator("textarea").first.fill("A teacher sends this sentence.")
    panel.get_by_role("button", name="Copy link").first.click()
    box = panel.get_by_placeholder("A link that opens this view").first
    expect(box).to_have_value(re.compile("^" + re.escape(app_url)), timeout=10_000)
    link = box.input_value()
    query = parse_qs(urlparse(link).query)
    assert query["open"] == ["sentiment"] and query["text"] == ["A teacher sends this sentence."]
    assert query["choice"][0]  # the model picked, from the registry's list
    page.goto(link)
    panel = page.locator("[role=tabpanel]:visible").first
    expect(panel.locator("textarea").first).to_have_value("A teacher sends this sentence.", timeout=60_000)
    assert errors == []
    page.close()


def test_junk_in_a_link_is_a_clear_error_on_the_page(app_url, browser):
    from playwright.sync_api import expect

    page, errors = opened(browser, app_url, {"open": "sentiment", "choice": "evil/model"})
    expect(page.locator(".toast-body.error").first).to_contain_text("The link's choice must be one of",
                                                                      timeout=60_000)
    assert errors == []
    page.close()
