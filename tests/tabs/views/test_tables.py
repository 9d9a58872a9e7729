"""The sentence-pair batch as HTML tables: every token over its ids and mask; markup in data never gets through."""

import re

import gradio as gr
import pytest

from models.tasks import finetune
from tabs._views import tables

REFUSED = "This view was sent data its endpoint never returns"


def test_each_pair_is_a_table_of_its_tokens_over_their_ids(offline_pack):
    batch = finetune.pair_batch("The cat sat.", "A cat was <b>sitting</b>.", 1)
    page = tables.pair_batch(batch)
    assert page.startswith("<p><b>Batch tensors:</b> input_ids (2, ")
    assert page.count("<table>") == 2 and "<p>pair 1, label -100</p>" in page and "<p>pair 2, label " in page
    first = re.search(r"<table>(.*?)</table>", page).group(1)
    assert re.findall(r"<th>(.*?)</th>", first)[1:] == [t.replace("<", "&lt;").replace(">", "&gt;")
                                                        for t in batch["tokens"][0]]
    assert f"<tr><td><b>input_ids</b></td>{''.join(f'<td>{i}</td>' for i in batch['input_ids'][0])}</tr>" in first
    assert "<b>sitting" not in page  # the user's text is escaped, never markup


BATCH = {"tokens": [["[CLS]", "a"]], "input_ids": [[101, 1037]], "attention_mask": [[1, 1]], "labels": [-100],
         "shapes": {"input_ids": [1, 2], "attention_mask": [1, 2], "labels": [1]}}


@pytest.mark.parametrize("change, where", [
    ({"input_ids": [["<img src=x onerror=alert(1)>", 1037]]}, r"input_ids\[0\]\[0\]: expected a whole number"),
    ({"attention_mask": [[1]]}, "input_ids, attention_mask: expected a value under every token, 1 rows of 2"),
    ({"labels": [7]}, r"labels\[0\]: expected a whole number from -100 to 1"),
    ({"shapes": {"input_ids": [1, 2, 3]}}, "shapes.input_ids: expected a list of 0 to 2 items"),
    ({"shapes": {f"t{i}": [1] for i in range(5)}}, "shapes: expected a shape per tensor"),
    ({"tokens": [["a"] * 129]}, r"tokens\[0\]: expected a list of 1 to 128 items"),
])
def test_a_batch_pair_view_never_returns_is_refused(change, where):
    assert "<td>1037</td>" in tables.pair_batch(BATCH)
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}"):
        tables.pair_batch({**BATCH, **change})
