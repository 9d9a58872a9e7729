"""A real browser (Debian's chromium, driven by playwright) on the app: open it, and walk every tab as a user would.

The walk visits each tab, loads its first example, runs it with the tab's primary button and waits for its answer
(new visible text, a text field's value, a picture, or the Show code panel a success fills: see `SHOWN`); it fails
on an error shown (a gr.Error, or gradio's generic "Something went wrong") and, with `page.problems`, on any
console or script error, the bertviz iframes' included. tests/test_browser_all_tabs.py walks the app the test
session launched; tests/test_space.py one started as a Hugging Face Space starts it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
RUN_SECONDS = 120  # one tab's run, under load on 2 shared cores
EXAMPLE_SECONDS = 20  # an example's inputs filled in
# Tabs whose primary button starts a training run (minutes on real models; the lab's own tests train) or
# calls AWS: visited, their first example loaded, not run.
NOT_RUN = ("Train",)  # primary buttons whose label starts so
NEEDS_AWS = "Bedrock"  # tab titles that contain this
GENERIC_ERROR = "Something went wrong"  # what gradio shows for an exception that is not a gr.Error
SHOW_CODE = "Show code"  # the accordion each run fills after a success (tabs/_common.show_code): opened to be seen

WIDE = {"width": 3200, "height": 1400}  # every tab gets its own button (no overflow menu)
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (scripts/install_browser.sh installs it, as root)")


@contextlib.contextmanager
def opened(url: str) -> Iterator[object]:
    """A playwright page on `url` once its tabs are drawn; `page.problems` collects console and script errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=WIDE)
        page.problems = []
        page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text[:300]}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(f"page error: {str(e)[:300]}"))
        page.goto(url, wait_until="networkidle")
        page.wait_for_selector("[role=tab]", timeout=60_000)  # the page renders after its scripts load
        wait_tabs_settled(page)
        try:
            yield page
        finally:
            browser.close()


def launch(playwright) -> object:
    """Debian's Chromium, headless, with no network traffic of its own."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


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


def wait_tabs_settled(page, seconds: float = 30) -> None:
    """Until the tab bar shows the same tabs twice in a row: it can be drawn again after its first tab appears (a walk
    counted 14 tabs at once, then waited 30 s for the 14th in vain), and a walk by index needs the final bar."""
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        titles = page.get_by_role("tab").all_inner_texts()
        if titles == last:
            return
        last = titles
        page.wait_for_timeout(500)


def visuals(panel) -> int:
    return panel.locator("img, canvas, iframe, svg.main-svg, .js-plotly-plot").count()


# What a panel shows as its answer: its visible text outside gradio's status trackers (a progress message such as
# "Downloaded ...; loading it" or a timer is shown while the run is busy, then removed: it is no answer) and the
# value of each text field. A Textbox's answer is a textarea's value, which innerText leaves out: a walk that read
# innerText alone never saw a summary or a translation appear, and passed only when it happened to read a progress
# message (issue 15: the Summarization tab "gave no output" after 120 s and 300 s, the model answering in 5).
SHOWN = """panel => {
    const text = [];
    const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (node.textContent.trim() && parent.checkVisibility()
                && !parent.closest('[data-testid="status-tracker"]')) {
            text.push(node.textContent.trim());
        }
    }
    const values = [...panel.querySelectorAll("textarea, input")].map(field => field.value);
    return JSON.stringify([text, values]);
}"""


def answer(panel) -> str:
    """The panel's answer as `SHOWN` reads it (visible text without status trackers, and text fields' values)."""
    return panel.evaluate(SHOWN)


def _words(text: str) -> str:
    return " ".join(text.split())


def wait_example_loaded(page, panel, shown: str) -> None:
    """Until a text input of the panel holds the start of the clicked example (`shown`: its row's text), or
    EXAMPLE_SECONDS pass: the example fills the inputs through a request of its own, which a busy server answers
    late, and a run started before it would read the inputs as they were."""
    deadline = time.monotonic() + EXAMPLE_SECONDS
    while time.monotonic() < deadline:
        values = [_words(box.input_value()) for box in panel.locator("textarea").all()]
        if any(value and value[:20] in _words(shown) for value in values):
            return
        page.wait_for_timeout(200)


def _changed(panel, before: str, seen: int) -> bool:
    return answer(panel) != before or visuals(panel) > seen


def wait_idle(page, panel, done=lambda: True, seconds: float = RUN_SECONDS) -> None:
    """Until `done()` and nothing in the panel is pending or generating (or `seconds` pass)."""
    deadline = time.monotonic() + seconds
    page.wait_for_timeout(300)
    while time.monotonic() < deadline:
        if page.locator(".toast-body.error").count():
            return
        if done() and not panel.locator(".pending, .generating").count():
            return
        page.wait_for_timeout(200)


def open_show_code(panel) -> None:
    """Open the panel's closed "Show code" accordions, whose code is filled only once a run succeeded."""
    for toggle in panel.get_by_text(SHOW_CODE, exact=True).all():
        if toggle.is_visible():
            toggle.click()


def errors_shown(page) -> list[str]:
    """The error toasts on the page (then closed)."""
    shown = page.locator(".toast-body.error").all_inner_texts()
    for close in page.locator(".toast-close").all():
        close.click()
    return shown


def tab_titles(page) -> list[str]:
    tabs = page.get_by_role("tab")
    return [title.strip() for title in tabs.all_inner_texts()]  # one read: a count then reads by index can race


def walk_every_tab(page, run_seconds: float = RUN_SECONDS) -> list[str]:
    """Each tab visited and its first example run (NOT_RUN and NEEDS_AWS tabs: visited); a line per tab on what
    happened, also printed as it happens (seen with `pytest -s`). Fails on a tab with no example or button, an
    error shown, or no output within `run_seconds`."""
    tabs = page.get_by_role("tab")
    titles = tab_titles(page)
    assert len(titles) >= 5, titles
    report = []
    for index, title in enumerate(titles):
        started = time.monotonic()
        tabs.nth(index).click()
        panel = page.locator("[role=tabpanel]:visible").first
        example = panel.locator(".gallery-item, table tbody tr").first
        if NEEDS_AWS in title:  # nothing to run without AWS: the tab shows what to configure instead
            assert "AWS" in panel.inner_text() or "Bedrock" in panel.inner_text()
            report.append(f"{title}: visited (needs AWS)")
            continue
        assert example.count(), f"{title}: no gr.Examples"
        example.click()
        wait_example_loaded(page, panel, example.inner_text())
        button = panel.locator("button.primary").first
        assert button.count(), f"{title}: no primary button"
        if button.inner_text().strip().startswith(NOT_RUN):
            report.append(f"{title}: example loaded, {button.inner_text().strip()!r} not run")
            continue
        wait_idle(page, panel)  # the example's own change events settle before the run starts
        open_show_code(panel)  # a run that answers with an empty text (a replica's random weights) still fills it
        before, seen = answer(panel), visuals(panel)
        button.click()
        output_appeared = functools.partial(_changed, panel, before, seen)
        wait_idle(page, panel, output_appeared, run_seconds)
        if not output_appeared() and not panel.locator(".pending, .generating").count():
            button.click()  # a click that landed while the page re-rendered starts nothing: once more, as a user would
            wait_idle(page, panel, output_appeared, run_seconds)
        assert not (errors := errors_shown(page)), f"{title}: error shown: {errors}"
        assert GENERIC_ERROR not in panel.inner_text(), f"{title}: {GENERIC_ERROR!r} shown"
        assert output_appeared(), f"{title}: no output within {run_seconds} s"
        report.append(f"{title}: ran in {time.monotonic() - started:.1f} s")
        print(f"[walk] {report[-1]}", flush=True)
    return report
