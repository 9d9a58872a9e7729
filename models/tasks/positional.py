"""Positional encoding: the sinusoidal formula of "Attention Is All You Need", beside a model's learned table."""

from __future__ import annotations

from typing import Any

from models import limits, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import internals


def sizes(seq_len: object, d_model: object) -> tuple[int, int]:
    """seq_len and d_model as whole numbers within the caps; d_model even (sin and cos come in pairs)."""
    seq_len = validate.integer(seq_len, "sequence length", 1, limits.POSITIONS_MAX)
    d_model = validate.integer(d_model, "d_model", 2, limits.D_MODEL_MAX)
    if d_model % 2:
        raise InputError(f"d_model must be even (each frequency gives a sin and a cos dimension); got {d_model}.")
    return seq_len, d_model


def sinusoidal(seq_len: int, d_model: int) -> Any:
    """(seq_len, d_model): the sinusoidal encoding of models/snippets/positional.py."""
    from models.snippets import positional as reference

    return reference.sinusoidal(seq_len, d_model)


def wave_dims(d_model: int) -> list[int]:
    """Four dimensions from fast to slow (wavelengths of about 11, 20, 63 and 630 positions at d_model=128)."""
    return sorted({2 * (d_model // 32), 2 * (d_model // 16), 2 * (d_model // 8) + 1, 2 * (d_model // 4)})


def encoding(seq_len: object, d_model: object) -> Any:
    """The sinusoidal encoding an endpoint asks for: sizes checked, then (seq_len, d_model)."""
    return sinusoidal(*sizes(seq_len, d_model))


def learned(seq_len: int, choice: str | None = None,
            on_progress: ProgressCallback | None = None) -> tuple[Any, str, str]:
    """The first seq_len rows of the chosen model's learned position table, the table's name, the model's."""
    from models.snippets import positional as reference

    loaded = internals.get(choice, on_progress)
    table = reference.position_table(loaded.model)
    if table is None:
        raise InputError("This model has no learned position table (it encodes positions another way): "
                         "pick a BERT or GPT-2 model.")
    name, weight = table  # weight: (max positions, hidden)
    seq_len = validate.integer(seq_len, f"sequence length (this model has {weight.shape[0]} positions)",
                               1, min(weight.shape[0], limits.POSITIONS_MAX))
    resolved = loaded.resolved
    model = f"offline {resolved.offline_entry}" if resolved.source == "offline" else resolved.choice
    return reference.learned(loaded.model, seq_len), name, model


def code(seq_len: int, d_model: int) -> str:
    """models/snippets/positional.py and a call on these inputs: prints the encoding (4 decimals)."""
    seq_len, d_model = sizes(seq_len, d_model)
    return snippets.program(["positional"],
                            f"print(json.dumps(np.round(sinusoidal({seq_len}, {d_model}), 4).tolist()))")


def learned_code(seq_len: int, choice: str | None = None) -> str:
    """models/snippets/positional.py and a call on these inputs: prints the learned table's rows (4 decimals)."""
    return snippets.program(["positional"], internals.load_code(choice),
                            f"print(json.dumps(np.round(learned(model, {int(seq_len)}), 4).tolist()))")
