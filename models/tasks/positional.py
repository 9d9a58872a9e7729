"""Positional encoding: the sinusoidal formula of "Attention Is All You Need", beside a model's learned table."""

from __future__ import annotations

from typing import Any

from models import limits, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import internals

BASE = 10_000.0  # the wavelengths form a geometric progression from 2*pi to 10000 * 2*pi


def sizes(seq_len: object, d_model: object) -> tuple[int, int]:
    """seq_len and d_model as whole numbers within the caps; d_model even (sin and cos come in pairs)."""
    seq_len = validate.integer(seq_len, "sequence length", 1, limits.POSITIONS_MAX)
    d_model = validate.integer(d_model, "d_model", 2, limits.D_MODEL_MAX)
    if d_model % 2:
        raise InputError(f"d_model must be even (each frequency gives a sin and a cos dimension); got {d_model}.")
    return seq_len, d_model


def sinusoidal(seq_len: int, d_model: int) -> Any:
    """(seq_len, d_model): PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d))."""
    import numpy as np

    positions = np.arange(seq_len)[:, None]  # (seq_len, 1)
    rates = 1.0 / BASE ** (np.arange(0, d_model, 2) / d_model)  # (d_model / 2,): one frequency per pair
    angles = positions * rates  # (seq_len, d_model / 2)
    encoding = np.empty((seq_len, d_model))
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles)
    return encoding


def wave_dims(d_model: int) -> list[int]:
    """Four dimensions from fast to slow (wavelengths of about 11, 20, 63 and 630 positions at d_model=128)."""
    return sorted({2 * (d_model // 32), 2 * (d_model // 16), 2 * (d_model // 8) + 1, 2 * (d_model // 4)})


def encoding(seq_len: object, d_model: object) -> Any:
    """The sinusoidal encoding an endpoint asks for: sizes checked, then (seq_len, d_model)."""
    return sinusoidal(*sizes(seq_len, d_model))


def learned(seq_len: int, choice: str | None = None,
            on_progress: ProgressCallback | None = None) -> tuple[Any, str, str]:
    """The first seq_len rows of the chosen model's learned position table, the table's name, the model's."""
    loaded = internals.get(choice, on_progress)
    table = _position_table(loaded.model)
    if table is None:
        raise InputError("This model has no learned position table (it encodes positions another way): "
                         "pick a BERT or GPT-2 model.")
    name, weight = table  # weight: (max positions, hidden)
    seq_len = validate.integer(seq_len, f"sequence length (this model has {weight.shape[0]} positions)",
                               1, min(weight.shape[0], limits.POSITIONS_MAX))
    resolved = loaded.resolved
    model = f"offline {resolved.offline_entry}" if resolved.source == "offline" else resolved.choice
    return weight[:seq_len].detach().double().numpy(), name, model


def _position_table(model: Any) -> tuple[str, Any] | None:
    # BERT and DistilBERT: embeddings.position_embeddings; GPT-2: transformer.wpe.
    for name, module in model.named_modules():
        if name.endswith(("position_embeddings", "wpe")) and hasattr(module, "weight"):
            return name, module.weight
    return None


def code(seq_len: int, d_model: int) -> str:
    """NumPy code that computes the same encoding and prints it (rounded to 4 decimals)."""
    seq_len, d_model = sizes(seq_len, d_model)
    return (
        "import json\nimport numpy as np\n\n"
        f"seq_len, d_model = {seq_len}, {d_model}\n"
        "positions = np.arange(seq_len)[:, None]  # (seq_len, 1)\n"
        "rates = 1.0 / 10000 ** (np.arange(0, d_model, 2) / d_model)  # (d_model / 2,)\n"
        "pe = np.empty((seq_len, d_model))\n"
        "pe[:, 0::2] = np.sin(positions * rates)  # PE[pos, 2i]\n"
        "pe[:, 1::2] = np.cos(positions * rates)  # PE[pos, 2i+1]\n"
        "print(json.dumps(np.round(pe, 4).tolist()))\n"
    )


def learned_code(seq_len: int, choice: str | None = None) -> str:
    """Plain transformers code that prints the same rows of the learned position table (4 decimals)."""
    return (
        "import json\n" + internals.code_header(choice) +
        "\ntable = next(m.weight for n, m in model.named_modules()\n"
        "             if n.endswith((\"position_embeddings\", \"wpe\")))  # (max positions, hidden)\n"
        f"print(json.dumps(table[:{int(seq_len)}].double().detach().numpy().round(4).tolist()))\n"
    )
