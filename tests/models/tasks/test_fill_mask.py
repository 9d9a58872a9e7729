"""Fill-mask on the tiny BERT: the mask token is checked, candidates are ranked and filled in."""

import pytest
import torch

from models import loader
from models.errors import InputError
from models.tasks import fill_mask


def test_top_k_candidates_match_the_models_own_ranking(offline_pack):
    text = "Paris is the [MASK] of France."
    candidates = fill_mask.fill(text, top_k=3)
    loaded = loader.get("fill_mask")
    batch = loaded.tokenizer(text, return_tensors="pt")
    position = batch["input_ids"][0].tolist().index(loaded.tokenizer.mask_token_id)
    with torch.inference_mode():
        probs = loaded.model(**batch).logits[0, position].softmax(-1)  # (vocab,)
    top = probs.topk(3)
    assert [c["token_str"] for c in candidates] == [loaded.tokenizer.decode([i]) for i in top.indices.tolist()]
    assert [c["score"] for c in candidates] == pytest.approx(top.values.tolist(), abs=1e-6)
    for candidate in candidates:
        assert candidate["token_str"].removeprefix("##") in candidate["sequence"]


@pytest.mark.parametrize("text, message", [
    ("No mask here.", r"exactly one \[MASK\].*found no"),
    ("[MASK] and [MASK]", "found 2"),
])
def test_mask_token_errors_name_the_token(offline_pack, text, message):
    with pytest.raises(InputError, match=message):
        fill_mask.fill(text)


@pytest.mark.parametrize("top_k", [0, 21, float("nan"), 2.5])
def test_top_k_out_of_range(offline_pack, top_k):
    with pytest.raises(InputError, match="(?i)top k"):
        fill_mask.fill("A [MASK].", top_k=top_k)
