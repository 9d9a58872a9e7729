"""A real browser (Debian's chromium, driven by playwright) opens the app, visits every tab, runs its first
example with the tab's primary button, and sees an output with no console error; user text is never run."""

from __future__ import annotations

import functools
import os
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
RUN_SECONDS = 120  # one tab's run, under load on 2 shared cores
# Tabs whose primary button starts a training run (minutes on real models; the lab's own tests train) or
# calls AWS: visited, their first example loaded, not run.
NOT_RUN = ("Train",)  # primary buttons whose label starts so
NEEDS_AWS = "Bedrock"  # tab titles that contain this

pytestmark = [
    pytest.mark.browser,
    pytest.mark.system,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"no Chromium at {CHROMIUM} (scripts/install_browser.sh installs it, as root)"),
]


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # Wide enough that every tab has its own button (no overflow menu).
        page = browser.new_page(viewport={"width": 3200, "height": 1400})
        page.problems = []
        page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text[:300]}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(f"page error: {str(e)[:300]}"))
        page.goto(app_url, wait_until="networkidle")
        page.wait_for_selector("[role=tab]", timeout=60_000)  # the page renders after its scripts load
        yield page
        browser.close()


def _visuals(panel) -> int:
    return panel.locator("img, canvas, iframe, svg.main-svg, .js-plotly-plot").count()


def _changed(panel, text: str, visuals: int) -> bool:
    return panel.inner_text() != text or _visuals(panel) > visuals


def _wait_idle(page, panel, done=lambda: True) -> None:
    """Until `done()` and nothing in the panel is pending or generating (or RUN_SECONDS pass)."""
    deadline = time.monotonic() + RUN_SECONDS
    page.wait_for_timeout(300)
    while time.monotonic() < deadline:
        if page.locator(".toast-body.error").count():
            return
        if done() and not panel.locator(".pending, .generating").count():
            return
        page.wait_for_timeout(200)


def _errors_shown(page) -> list[str]:
    shown = page.locator(".toast-body.error").all_inner_texts()
    for close in page.locator(".toast-close").all():
        close.click()
    return shown


def test_every_tab_runs_its_first_example(page, capsys):
    tabs = page.get_by_role("tab")
    titles = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
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
        button = panel.locator("button.primary").first
        assert button.count(), f"{title}: no primary button"
        if button.inner_text().strip().startswith(NOT_RUN):
            report.append(f"{title}: example loaded, {button.inner_text().strip()!r} not run")
            continue
        _wait_idle(page, panel)  # the example's own change events settle before the run starts
        text, visuals = panel.inner_text(), _visuals(panel)
        button.click()
        output_appeared = functools.partial(_changed, panel, text, visuals)
        _wait_idle(page, panel, output_appeared)
        if not output_appeared() and not panel.locator(".pending, .generating").count():
            button.click()  # a click that landed while the page re-rendered starts nothing: once more, as a user would
            _wait_idle(page, panel, output_appeared)
        assert not (errors := _errors_shown(page)), f"{title}: error shown: {errors}"
        assert output_appeared(), f"{title}: no output within {RUN_SECONDS} s"
        report.append(f"{title}: ran in {time.monotonic() - started:.1f} s")
    with capsys.disabled():
        print("\n[browser] " + "; ".join(report))
    assert not page.problems, page.problems


def test_user_text_and_error_messages_are_shown_never_run(page):
    """HTML typed by a user comes back as text: in outputs (named entities) and in an error that echoes it."""
    tabs = page.get_by_role("tab")
    titles = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
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
        _wait_idle(page, panel, lambda p=panel, m=shown_as: m in p.inner_text())
        shown = "\n".join(_errors_shown(page)) + panel.inner_text()
        assert shown_as in shown, f"{title}: the probe never came back"
    page.wait_for_timeout(500)
    assert page.evaluate("typeof __xn === 'undefined' && typeof __xl === 'undefined'")
