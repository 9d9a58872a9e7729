"""bertviz views that render with no internet: its JavaScript libraries inlined, in a sandboxed iframe.

bertviz's `html_action="return"` output loads require.js, d3 and jQuery from cdnjs, and gr.HTML never
runs <script>. So the view goes into `<iframe srcdoc=...>` (scripts run there) together with d3 v5
(shipped by the PyPI package mpld3) and jQuery (shipped by sphinxcontrib-jquery, read as a file: importing
that module imports sphinx), and a two-line stand-in for require.js: bertviz only calls
`requirejs(['jquery', 'd3'], fn)`.
"""

from __future__ import annotations

import functools
import html
import json
import re

from models.offline.sources import package_dir

SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
CDN_SCRIPT = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/[^"]*"></script>')
REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.DOTALL)
REQUIRE_SHIM = """
window.require = window.requirejs = function (names, callback) {
  var modules = {jquery: window.jQuery, d3: window.d3};
  callback.apply(null, names.map(function (name) { return modules[name]; }));
};
"""
STYLE = "body{margin:8px;background:#fff;color:#111;font-family:Helvetica,Arial,sans-serif}h3{margin:12px 0 4px}"
SCRIPT_OPEN = '<script type="text/javascript">'
SHARED_NAME = "window.bertvizAttention"


@functools.cache
def libraries() -> str:
    """jQuery, d3 v5 and the require shim as one block of <script> tags (about 330 KB, read once)."""
    jquery = package_dir("sphinxcontrib.jquery", "sphinxcontrib-jquery") / "jquery.js"
    d3 = package_dir("mpld3", "mpld3") / "js" / "d3.v5.min.js"
    scripts = [jquery.read_text(encoding="utf-8"), d3.read_text(encoding="utf-8"), REQUIRE_SHIM]
    return "".join(f"<script>{_script_safe(body)}</script>\n" for body in scripts)


def _script_safe(body: str) -> str:
    # "</script" inside a script would end it early (a token could spell it); in JS "<\/" means "</".
    return SCRIPT_END.sub(r"<\\/\1", body)


def offline_view(view_html: str) -> str:
    """One bertviz `html_action="return"` output with its cdnjs loading removed (the libraries come inline)."""
    view_html = CDN_SCRIPT.sub("", view_html)
    markup, sep, script = view_html.partition(SCRIPT_OPEN)
    if not sep:
        raise ValueError("unexpected bertviz output: no script block")
    body, _, rest = script.rpartition("</script>")
    body = REQUIRE_CONFIG.sub("", body, count=1)
    return f"{markup}{SCRIPT_OPEN}{_script_safe(body)}</script>{rest}"


def page(sections: list[tuple[str, str]], attention: list | None = None) -> str:
    """A whole HTML document: the libraries once, then each (heading, bertviz view) in turn.

    `attention`, the nested list every view was given, is then written once (compactly) and shared by the
    views instead of repeated in each: a 64-token view of 6 x 12 heads drops from about 8 MB to 2 MB.
    """
    views = [offline_view(view) for _, view in sections]
    shared = ""
    if attention is not None:
        as_bertviz_writes_it = json.dumps(attention)  # json.dumps(params) inside bertviz: same separators
        if all(as_bertviz_writes_it in view for view in views):
            views = [view.replace(as_bertviz_writes_it, SHARED_NAME) for view in views]
            shared = f"<script>{SHARED_NAME} = {_script_safe(json.dumps(attention, separators=(',', ':')))};</script>\n"
    parts = [f"<h3>{html.escape(title)}</h3>\n{view}" for (title, _), view in zip(sections, views)]
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            f"<style>{STYLE}</style>\n{libraries()}{shared}</head>\n<body>\n" + "\n".join(parts) + "\n</body></html>")


def iframe(document: str, height: int) -> str:
    """The document in a sandboxed iframe (scripts run, but cannot reach the app's page or cookies)."""
    return (f'<iframe title="bertviz attention views" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height)}px;border:0" '
            f'srcdoc="{html.escape(document, quote=True)}"></iframe>')
