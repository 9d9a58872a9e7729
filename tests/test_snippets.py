"""Show code: every tab's snippets run on their own and print what the tab returned."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from models.tasks import fill_mask, ner, sentiment, zero_shot
from tabs import _common

RUNNER = Path(__file__).with_name("snippet_runner.py")

# (api_name, task function the tab calls, its code() function, the inputs, as the endpoint takes them)
CASES = [
    ("sentiment", sentiment.classify, sentiment.code, ("I loved every minute of it.",)),
    ("ner", ner.extract, ner.code, ("Angela Merkel met Emmanuel Macron in Paris.",)),
    ("zero_shot", zero_shot.classify, zero_shot.code, ("The striker scored twice.", "sport, cooking, law", False)),
    ("zero_shot", zero_shot.classify, zero_shot.code, ("Bake the bread.", "cooking, baking", True)),
    ("fill_mask", fill_mask.fill, fill_mask.code, ("Paris is the [MASK] of France.", 3)),
]


def run_snippets(snippets: list[str]) -> list[str]:
    done = subprocess.run([sys.executable, str(RUNNER)], input=json.dumps(snippets), capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_same(printed, expected, path="result") -> None:
    """Equal structure and text; numbers equal to 1e-4 (another process, the same weights)."""
    if isinstance(expected, float) or isinstance(printed, float):
        assert math.isclose(printed, expected, abs_tol=1e-4), f"{path}: {printed} != {expected}"
    elif isinstance(expected, dict):
        assert set(printed) == set(expected), path
        for key in expected:
            assert_same(printed[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(printed) == len(expected), path
        for index, (a, b) in enumerate(zip(printed, expected)):
            assert_same(a, b, f"{path}[{index}]")
    else:
        assert printed == expected, f"{path}: {printed!r} != {expected!r}"


def test_transformers_snippets_print_what_the_tabs_returned(offline_pack):
    expected = [task(*inputs) for _, task, _, inputs in CASES]
    printed = run_snippets([code(*inputs) for _, _, code, inputs in CASES])
    for (api_name, *_), out, want in zip(CASES, printed, expected):
        assert_same(json.loads(out), json.loads(json.dumps(want)), api_name)


def test_gradio_client_snippets_print_what_the_app_returns(client, app_url):
    snippets = [_common.client_code(api_name, inputs, app_url) for api_name, _, _, inputs in CASES]
    printed = run_snippets(snippets)
    for (api_name, _, _, inputs), out in zip(CASES, printed):
        expected = client.predict(*inputs, api_name=f"/{api_name}")
        assert_same(ast.literal_eval(out.strip().splitlines()[-1]), expected, api_name)  # after "Loaded as API"


@pytest.mark.parametrize("value", ["it's \"quoted\"\nand multi-line", "ünïcödé ✓"])
def test_snippets_quote_any_input_safely(offline_pack, value):
    compile(sentiment.code(value), "<snippet>", "exec")
    compile(_common.client_code("sentiment", [value], "http://127.0.0.1:7860/"), "<snippet>", "exec")
