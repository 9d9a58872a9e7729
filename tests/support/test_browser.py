"""The browser walk's own eyes: what it counts as a tab's answer, on static pages shaped as gradio draws a tab."""

from __future__ import annotations

import pytest

from tests.support import browser

pytestmark = [pytest.mark.browser, browser.needs_chromium]

# A tab as gradio 6 draws it: an input, the output Textbox (a textarea) with its status tracker, a closed accordion.
TAB = """<div role="tabpanel">
  <label>Text<textarea id="text">The city council voted.</textarea></label>
  <button class="primary">Summarize</button>
  <label>Summary<textarea id="summary" disabled></textarea></label>
  <div data-testid="status-tracker" id="status"></div>
  <details><summary>Show code</summary><pre>print(output)</pre></details>
</div>"""


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        opened = browser.launch(playwright)
        try:
            yield opened.new_page()
        finally:
            opened.close()


@pytest.fixture
def panel(page):
    page.set_content(TAB)
    return page.locator("[role=tabpanel]")


def test_an_answer_in_a_textbox_is_seen(page, panel):
    before, text = browser.answer(panel), panel.inner_text()
    page.evaluate("document.getElementById('summary').value = 'A park replaces the railway yard.'")
    assert panel.inner_text() == text  # what the walk read before issue 15: it waited out answers it could not see
    assert browser.answer(panel) != before


def test_a_progress_message_is_no_answer(page, panel):
    before = browser.answer(panel)
    page.evaluate("document.getElementById('status').textContent = 'Downloaded a model (8.0 MB); loading it - 100%'")
    assert browser.answer(panel) == before
    page.evaluate("document.getElementById('status').textContent = ''")
    assert browser.answer(panel) == before


def test_visible_text_is_an_answer_and_hidden_text_is_not(page, panel):
    before = browser.answer(panel)
    page.evaluate("document.querySelector('pre').textContent = 'print(summary)'")  # in the closed accordion
    assert browser.answer(panel) == before
    page.evaluate("document.getElementById('summary').insertAdjacentHTML('afterend', '<p>Done in 2 pieces.</p>')")
    assert browser.answer(panel) != before


def test_a_success_is_seen_in_the_opened_show_code_panel(page, panel):
    """A run whose answer is empty (a replica's random weights can decode to "") still fills its Show code."""
    browser.open_show_code(panel)
    before = browser.answer(panel)
    page.evaluate("document.querySelector('pre').textContent = 'print(summary)'")
    assert browser.answer(panel) != before
