"""What plain transformers gives, for tests to compare the tasks with."""

from __future__ import annotations

import torch


def seq2seq_generate(loaded, text: str, **kwargs) -> str:
    """model.generate on `text` with the given settings, decoded as the seq2seq tasks decode."""
    inputs = loaded.tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        ids = loaded.model.generate(**inputs, **kwargs)  # (1, generated length)
    return loaded.tokenizer.decode(ids[0], skip_special_tokens=True, clean_up_tokenization_spaces=False)
