"""Where a transformer gets word order from: the sinusoidal encoding of "Attention Is All You Need", or a
table of position vectors the model learned (BERT's position_embeddings, GPT-2's wpe).

PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)): each pair of dimensions
is a wave, with wavelengths in a geometric progression from 2*pi to 10000 * 2*pi.

The Positional encoding tab runs this file, and its Show code prints it: it runs on its own.
"""

import numpy as np

BASE = 10_000.0


def sinusoidal(seq_len: int, d_model: int) -> np.ndarray:
    """(seq_len, d_model), d_model even: the sinusoidal encoding of positions 0 .. seq_len - 1."""
    positions = np.arange(seq_len)[:, None]  # (seq_len, 1)
    rates = 1.0 / BASE ** (np.arange(0, d_model, 2) / d_model)  # (d_model / 2,): one frequency per pair
    angles = positions * rates  # (seq_len, d_model / 2)
    encoding = np.empty((seq_len, d_model))
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles)
    return encoding


def position_table(model):
    """(its name, the weight (max positions, hidden)) of the model's learned position table, None without one.

    BERT and DistilBERT: embeddings.position_embeddings; GPT-2: transformer.wpe.
    """
    for name, module in model.named_modules():
        if name.endswith(("position_embeddings", "wpe")) and hasattr(module, "weight"):
            return name, module.weight
    return None


def learned(model, seq_len: int) -> np.ndarray:
    """The first seq_len rows of the model's learned position table, (seq_len, hidden) in float64."""
    _, weight = position_table(model)
    return weight[:seq_len].detach().double().cpu().numpy()
