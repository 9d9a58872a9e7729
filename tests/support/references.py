"""What plain transformers gives, for tests to compare the tasks with."""

from __future__ import annotations

import torch

# bf16 keeps 8 bits of mantissa: one rounding moves a value near 1 by up to 2**-8 (0.0039); a few layers deep
# (or batched otherwise than the reference), by up to about 1e-2.
BF16_ATOL = 1e-2


def atol(task: str, float32: float, scale: float = 1.0) -> float:
    """How closely a check on `task`'s served model can hold: `float32` where it is served in float32, else bf16's
    precision for values of magnitude `scale`."""
    from models import loader

    return float32 if loader.resolve(task).dtype == "float32" else BF16_ATOL * max(scale, 1.0)


def seq2seq_generate(loaded, text: str, **kwargs) -> str:
    """model.generate on `text` with the given settings, decoded as the seq2seq tasks decode."""
    inputs = loaded.tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        ids = loaded.model.generate(**inputs, **kwargs)  # (1, generated length)
    return loaded.tokenizer.decode(ids[0], skip_special_tokens=True, clean_up_tokenization_spaces=False)
