"""In a real Chromium with no network: the attention tab draws bertviz's views inside its iframe."""

from __future__ import annotations

import pytest

from tests.support.browser import offline_page

TOKENS = ["the", "animal", "didn", "street", "tired"]  # the tab's default text, as BERT tokens

pytestmark = [pytest.mark.browser, pytest.mark.system]


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
