"""Show code: every tab's snippets run on their own and print what the tab returned."""

from __future__ import annotations

import ast
import json
import sys

import pytest

from models import snippets as reference_modules
from models.tasks import fill_mask, ner, sentiment, zero_shot
from tabs import _common
from tests.support import snippets

# (api_name, task function the tab calls, its code() function, the inputs, as the endpoint takes them)
CASES = [
    ("sentiment", sentiment.classify, sentiment.code, ("I loved every minute of it.",)),
    ("ner", ner.extract, ner.code, ("Angela Merkel met Emmanuel Macron in Paris.",)),
    ("ner_tokens", ner.token_tags, ner.token_tags_code, ("Angela Merkel met Emmanuel Macron in Paris.",)),
    ("zero_shot", zero_shot.classify, zero_shot.code, ("The striker scored twice.", "sport, cooking, law", False)),
    ("zero_shot", zero_shot.classify, zero_shot.code, ("Bake the bread.", "cooking, baking", True)),
    ("fill_mask", fill_mask.fill, fill_mask.code, ("Paris is the [MASK] of France.", 3)),
]
# What a reference module may import besides the standard library: what a transformers user has.
ML_STACK = {"torch", "transformers", "numpy", "safetensors"}
# Pipelines run in another process with the same weights: equal to 1e-4 (the batch shapes may differ).
PIPELINES = 1e-4


def test_transformers_snippets_print_what_the_tabs_returned(offline_pack):
    expected = [task(*inputs) for _, task, _, inputs in CASES]
    printed = snippets.results([code(*inputs) for _, _, code, inputs in CASES])
    for (api_name, *_), out, want in zip(CASES, printed, expected):
        snippets.assert_same(out, json.loads(json.dumps(want)), PIPELINES, api_name)


def test_gradio_client_snippets_print_what_the_app_returns(client, app_url):
    printed = snippets.run([_common.client_code(api_name, inputs, app_url) for api_name, _, _, inputs in CASES])
    for (api_name, _, _, inputs), out in zip(CASES, printed):
        expected = client.predict(*inputs, api_name=f"/{api_name}")
        # the last line: gradio_client prints "Loaded as API" first
        snippets.assert_same(ast.literal_eval(out.strip().splitlines()[-1]), expected, PIPELINES, api_name)


@pytest.mark.parametrize("value", ["it's \"quoted\"\nand multi-line", "ünïcödé ✓"])
def test_snippets_quote_any_input_safely(offline_pack, value):
    compile(sentiment.code(value), "<snippet>", "exec")
    compile(_common.client_code("sentiment", [value], "http://127.0.0.1:7860/"), "<snippet>", "exec")


def test_reference_modules_import_only_the_standard_library_and_the_ml_stack():
    modules = sorted(path for path in reference_modules.HERE.glob("*.py") if path.name != "__init__.py")
    assert len(modules) >= 10
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: a relative import"
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                # No __future__ import either: Show code may print two modules one after the other.
                assert top != "__future__" and (top in sys.stdlib_module_names or top in ML_STACK), \
                    f"{path.name} imports {name}"


def test_a_program_is_its_modules_then_the_footer():
    code = reference_modules.program(["seq2seq", "qa"], "print(json.dumps(1))")
    assert code.startswith(reference_modules.source("seq2seq")) and code.endswith("print(json.dumps(1))\n")
    assert reference_modules.split(code) == (["seq2seq", "qa"], "import json\n\nprint(json.dumps(1))\n")
