"""bertviz's views of /attention's maps: an offline document in a sandboxed iframe, sized for the model."""

import html
import json
import re

import numpy as np
import pytest

from models.tasks import attention
from tabs._views import bertviz

NOVEL_A = "I read a good novel."


def srcdoc(frame: str) -> str:
    return html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))


def made_up_maps(tokens: list[str], layers: int, heads: int) -> attention.Maps:
    """Rows that are distributions, from a fixed seed: what a model's attention looks like to a view."""
    weights = np.random.default_rng(0).random((layers, heads, len(tokens), len(tokens)))
    weights /= weights.sum(axis=-1, keepdims=True)  # (layers, heads, seq, seq)
    return attention.Maps(tokens=tokens, positions=list(range(len(tokens))), attentions=weights,
                          matrix=weights[0, 0], layer=layers - 1, head=heads - 1, average_heads=False,
                          causal=False, special_hidden=False)


def test_bertviz_document_renders_without_the_internet(offline_pack):
    frame = bertviz.views(attention.attention(NOVEL_A, 2, 3))
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame
    document = srcdoc(frame)
    assert "cdnjs" not in document and "require.config" not in document
    assert "jQuery v3" in document and "d3js.org" in document  # both libraries inlined
    assert document.count("requirejs(['jquery', 'd3']") == 2  # head view and model view
    assert '"left_text": ["[CLS]", "i", "read", "a", "good", "novel", ".", "[SEP]"]' in document
    assert '"layer": 2, "heads": [3]' in document  # the head view opens at the chosen layer and head
    # The attention numbers are written once, compactly, and shared by both views.
    assert document.count("window.bertvizAttention = [[[[") == 1 and '"attn": window.bertvizAttention' in document
    assert len(frame) < 600_000


def test_the_views_show_the_maps_rounded_to_three_decimals():
    maps = made_up_maps(["a", "b", "c"], layers=2, heads=4)
    document = srcdoc(bertviz.views(maps))
    shared = re.search(r"window\.bertvizAttention = (\[.*?\]);</script>", document).group(1)
    assert json.loads(shared) == np.round(maps.attentions, bertviz.DECIMALS).tolist()
    assert '"left_text": ["a", "b", "c"]' in document and '"layer": 1, "heads": [3]' in document


@pytest.mark.parametrize("tokens, layers, heads, height", [
    (3, 2, 4, 481),  # head view 22.5*3 + 110, model view max(2*(3*7*12/4 + 10) + 38, 18*3 + 55) + 80, headings 40
    (64, 6, 12, 4456),  # the largest text on MiniLM: 1550 + 2866 + 40
])
def test_the_frame_is_as_tall_as_bertviz_draws(tokens, layers, heads, height):
    frame = bertviz.views(made_up_maps([f"t{i}" for i in range(tokens)], layers, heads))
    assert f"height:{height}px" in frame


def test_a_script_end_in_the_text_cannot_break_out_of_the_view():
    document = bertviz.page([("t", '<div></div><script type="text/javascript">var a = "</script><b>";'
                                   "</script>")])
    assert '"<\\/script><b>"' in document


def test_the_libraries_are_the_vendored_files_the_readme_names_with_their_licences():
    import hashlib

    from models.offline.sources import assets_dir

    vendor = assets_dir() / "vendor"
    readme = (vendor / "README.md").read_text()
    for name in bertviz.VENDORED:
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        assert f"{name} `{digest}`" in readme, name
    assert "jQuery v3.6.0" in (vendor / "jquery-3.6.0.min.js").read_text()[:100]
    assert "d3js.org v5.7.0" in (vendor / "d3.v5.min.js").read_text()[:100]
    assert "Mike Bostock" in (vendor / "d3.LICENSE").read_text()
    assert "OpenJS Foundation" in (vendor / "jquery.LICENSE").read_text()
    assert all(body in bertviz.libraries() for body in ("jQuery v3.6.0", "d3js.org v5.7.0", "window.requirejs"))
