"""bertviz's views (head, model and neuron views), rendering with no internet, in a sandboxed iframe.

bertviz's `html_action="return"` output loads require.js, d3 and jQuery from cdnjs, and gr.HTML never
runs <script>. So the view goes into `<iframe srcdoc=...>` (scripts run there) together with d3 v5 and jQuery,
vendored in assets/vendor/ (their versions, sources and licences in its README: nothing to install, so a Space
that installs requirements.txt alone draws them too), and a two-line stand-in for require.js: bertviz only calls
`requirejs(['jquery', 'd3'], fn)`.
"""

from __future__ import annotations

import functools
import html
import json
import re

from models.offline.sources import assets_dir
from models.tasks.attention import Maps
from models.tasks.cross_attention import CrossAttention
from models.tasks.neuron_view import NeuronView

DECIMALS = 3  # attention sent to the browser: 3 decimals keep a 64-token view small
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
VENDORED = ("jquery-3.6.0.min.js", "d3.v5.min.js")  # in assets/vendor/, in the order the page loads them


@functools.cache
def libraries() -> str:
    """jQuery, d3 v5 and the require shim as one block of <script> tags (about 330 KB, read once)."""
    vendor = assets_dir() / "vendor"
    scripts = [(vendor / name).read_text(encoding="utf-8") for name in VENDORED] + [REQUIRE_SHIM]
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
    shown = [offline_view(view) for _, view in sections]
    shared = ""
    if attention is not None:
        as_bertviz_writes_it = json.dumps(attention)  # json.dumps(params) inside bertviz: same separators
        if all(as_bertviz_writes_it in view for view in shown):
            shown = [view.replace(as_bertviz_writes_it, SHARED_NAME) for view in shown]
            shared = f"<script>{SHARED_NAME} = {_script_safe(json.dumps(attention, separators=(',', ':')))};</script>\n"
    parts = [f"<h3>{html.escape(title)}</h3>\n{view}" for (title, _), view in zip(sections, shown)]
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            f"<style>{STYLE}</style>\n{libraries()}{shared}</head>\n<body>\n" + "\n".join(parts) + "\n</body></html>")


def iframe(document: str, height: int) -> str:
    """The document in a sandboxed iframe (scripts run, but cannot reach the app's page or cookies)."""
    return (f'<iframe title="bertviz attention views" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height)}px;border:0" '
            f'srcdoc="{html.escape(document, quote=True)}"></iframe>')


def _frame_height(tokens: int, layers: int, heads: int) -> int:
    # The heights bertviz's own scripts compute (head_view.js, model_view.js), plus headings and menus.
    head_view = 22.5 * tokens + 30 + 80
    model_view = max(layers * (tokens * 7 * 12 / heads + 10) + 38, 18 * tokens + 55) + 80
    return int(head_view + model_view + 40)


def views(maps: Maps) -> str:
    """bertviz's head view (opened at the picked layer and head) and model view of /attention's maps, as
    an iframe (HTML for gr.HTML) that renders offline."""
    import numpy as np
    import torch
    from bertviz import head_view, model_view

    rounded = np.round(maps.attentions, DECIMALS)  # (layers, heads, shown, shown)
    attention = [torch.from_numpy(layer_maps)[None] for layer_maps in rounded]  # layers x (1, heads, S, S)
    head_html = head_view(attention, maps.tokens, layer=maps.layer, heads=[maps.head], html_action="return").data
    model_html = model_view(attention, maps.tokens, display_mode="light", html_action="return").data
    document = page([
        ("Head view: lines from each token to the tokens it attends to (pick layer and heads)", head_html),
        ("Model view: every head of every layer (click one to enlarge)", model_html),
    ], attention=rounded.tolist())
    return iframe(document, _frame_height(len(maps.tokens), *rounded.shape[:2]))


# ---- the Why? tab (issue 17): cross-attention of a translation, and the neuron view -------------------------

def cross_attention(view: CrossAttention) -> str:
    """bertviz's head view (opened at the chosen layer and head) and model view of /cross_attention's maps:
    target tokens on the left, the source tokens they looked at on the right."""
    import numpy as np
    import torch
    from bertviz import head_view, model_view

    rounded = np.round(view.maps, DECIMALS)  # (layers, heads, target, source)
    cross = [torch.from_numpy(layer_maps)[None] for layer_maps in rounded]  # layers x (1, heads, target, source)
    tokens = {"encoder_tokens": view.result["source_tokens"], "decoder_tokens": view.result["target_tokens"]}
    head_html = head_view(cross_attention=cross, **tokens, layer=view.result["layer"],
                          heads=[view.result["head"]], html_action="return").data
    model_html = model_view(cross_attention=cross, **tokens, display_mode="light", html_action="return").data
    document = page([
        ("Head view: lines from each target token (left) to the source tokens it looked at (right)", head_html),
        ("Model view: every head of every decoder layer (click one to enlarge)", model_html),
    ], attention=rounded.tolist())
    return iframe(document, _frame_height(max(rounded.shape[2:]), *rounded.shape[:2]))


def neuron(view: NeuronView) -> str:
    """bertviz's neuron view of /neuron_view's data (bertviz's own get_attention, every layer and head)."""
    import uuid
    from pathlib import Path

    from bertviz import neuron_view

    script = Path(neuron_view.__file__).with_name("neuron_view.js").read_text(encoding="utf-8")
    root = f"bertviz-{uuid.uuid4().hex}"
    params = {"attention": view.bertviz, "default_filter": "all", "root_div_id": root, "bidirectional": True,
              "display_mode": "light", "layer": view.result["layer"], "head": view.result["head"]}
    # bertviz's own markup (neuron_view.show), its two scripts as one block for offline_view.
    markup = (f'<div id="{root}" style="padding:8px;font-family:Helvetica,Arial,sans-serif">'
              '<span style="user-select:none">Layer: <select id="layer"></select> '
              'Head: <select id="att_head"></select></span><div id="vis"></div></div>')
    body = f'{markup}{SCRIPT_OPEN}window.bertviz_params = {json.dumps(params)};\n{script}</script>'
    document = page([("Neuron view: hover over a token to see its query, the keys, q × k and the softmax "
                      "(the + beside it opens the vectors)", body)])
    return iframe(document, 26 * len(view.result["tokens"]) + 260)  # bertviz: 26 px a token, plus menus
