"""In a real Chromium with no network: the Why? tab's bertviz views (neuron view, cross-attention) draw offline."""

from __future__ import annotations

import pytest

from tests.support.browser import offline_page

pytestmark = [pytest.mark.browser, pytest.mark.system]
WIDE = {"width": 3200, "height": 1400}  # every tab gets its own button (no overflow menu)


def open_view(browser, app_url: str, view: str, button: str):
    page, blocked, errors = offline_page(browser, app_url)
    page.set_viewport_size(WIDE)
    page.goto(app_url)
    page.get_by_role("tab", name="Why?", exact=True).click()
    page.get_by_role("tab", name=view, exact=True).click()
    page.get_by_role("button", name=button).click()
    return page, blocked, errors, page.frame_locator('iframe[title="bertviz attention views"]')


def test_neuron_view_opens_a_token_query_and_keys_with_no_network(app_url, browser):
    from playwright.sync_api import expect

    page, blocked, errors, frame = open_view(browser, app_url, "Neuron view", "Show the neuron view")
    # The model is loaded on the first run: allow for it on a busy machine.
    expect(frame.locator("svg text", has_text="mat").filter(visible=True).first).to_be_visible(timeout=180_000)
    query = frame.locator("svg text", has_text="Query").filter(visible=True)
    cat = frame.locator("#collapsed #leftText g").filter(has_text="cat").first
    cat.locator("text.token").hover()
    assert query.count() == 0  # collapsed: the attention lines only
    cat.locator("rect").last.click(force=True)  # the "+" beside the token opens the vectors
    frame.locator("#expanded #leftText g").filter(has_text="cat").first.locator("text.token").hover()
    expect(query.first).to_be_visible(timeout=10_000)
    for heading in ("Key", "q × k (elementwise)", "Softmax"):
        expect(frame.locator("svg text", has_text=heading).filter(visible=True).first).to_be_visible()
    assert not [url for url in blocked if "cdnjs" in url], blocked
    assert errors == []
    page.close()


def test_cross_attention_draws_bertviz_with_no_network(app_url, browser):
    from playwright.sync_api import expect

    page, blocked, errors, frame = open_view(browser, app_url, "Cross-attention", "Show cross-attention")
    expect(frame.locator("svg text", has_text="house").filter(visible=True).first).to_be_visible(timeout=180_000)
    assert frame.locator("svg").count() >= 2  # the head view and the model view
    assert frame.locator("svg line, svg path").count() > 0  # the attention lines
    assert not [url for url in blocked if "cdnjs" in url], blocked
    assert errors == []
    page.close()
