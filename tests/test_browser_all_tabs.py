"""A real browser (Debian's chromium, driven by playwright) opens the app, visits every tab, runs its first
example with the tab's primary button, and sees an output with no console error; user text is never run."""

from __future__ import annotations

import pytest

from tests.support import browser

pytestmark = [pytest.mark.browser, pytest.mark.system, browser.needs_chromium]


@pytest.fixture(scope="module")
def page(app_url):
    with browser.opened(app_url) as opened:
        yield opened


def test_every_tab_runs_its_first_example(page, capsys):
    report = browser.walk_every_tab(page)
    with capsys.disabled():
        print("\n[browser] " + "; ".join(report))
    assert not page.problems, page.problems


def test_user_text_and_error_messages_are_shown_never_run(page):
    """HTML typed by a user comes back as text: in outputs (named entities) and in an error that echoes it."""
    tabs = page.get_by_role("tab")
    titles = browser.tab_titles(page)
    # The zero-shot tab quotes the first 30 characters of a too-long label in its error: the tag fits in them.
    # gradio shows error messages as sanitized HTML (the tag is dropped, its handler never runs), outputs as text.
    probes = {"Named entities": (["<img src=x onerror=__xn=1> Angela Merkel visited Paris."], "<img src="),
              "Zero-shot": (["A goal in the last minute.", "<img src=x onerror=__xl=1>" + "x" * 120],
                            "Labels are at most")}
    for title, (values, shown_as) in probes.items():
        if title not in titles:
            continue
        tabs.nth(titles.index(title)).click()
        panel = page.locator("[role=tabpanel]:visible").first
        for box, value in zip(panel.locator("textarea").all(), values):
            box.fill(value)
        panel.locator("button.primary").first.click()
        browser.wait_idle(page, panel, lambda p=panel, m=shown_as: m in p.inner_text())
        shown = "\n".join(browser.errors_shown(page)) + panel.inner_text()
        assert shown_as in shown, f"{title}: the probe never came back"
    page.wait_for_timeout(500)
    assert page.evaluate("typeof __xn === 'undefined' && typeof __xl === 'undefined'")
