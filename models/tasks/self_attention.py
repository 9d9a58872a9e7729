"""Self-attention from scratch: one head in NumPy, from the model's own weights, step by step.

The algorithm is models/snippets/self_attention.py (Show code prints it); this module runs it on the
learning tabs' shared forward pass, within the walk-through's caps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models import limits, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import internals
from models.tasks.internals import Forward

if TYPE_CHECKING:
    from models.snippets.self_attention import Steps


def compute(run: Forward, layer: int, head: int) -> Steps:
    """One head of one layer in NumPy, every step kept."""
    from models.snippets import self_attention as reference

    try:
        return reference.one_head(run.loaded.model, run.hidden[layer], layer, head, run.heads, run.causal)
    except ValueError as exc:  # an architecture the walk-through does not know
        raise InputError(f"{exc} Pick one of those.") from None


def walk_through(text: str, layer: int, head: int, choice: str | None = None,
                 on_progress: ProgressCallback | None = None) -> dict:
    """Q, K, V, scores, softmax and weighted sum of one head, each word's top 3, and the check against the model."""
    from models.snippets import self_attention as reference

    run = internals.forward(text, choice, on_progress)
    if len(run.tokens) > limits.SCRATCH_TOKENS:
        raise InputError(f"The text is {len(run.tokens)} tokens; the walk-through shows every matrix, so it "
                         f"takes at most {limits.SCRATCH_TOKENS}. Use a short sentence.")
    layer, head = validate.layer_and_head(layer, head, run.layers, run.heads)
    return reference.report(run.tokens, layer, head, run.causal, run.dtype, compute(run, layer, head),
                            run.attentions[layer, head])


def code(text: str, layer: int, head: int, choice: str | None = None) -> str:
    """models/snippets/self_attention.py and a call on these inputs: prints what `walk_through` returns."""
    return snippets.program(
        ["self_attention"], internals.load_code(choice),
        "result = " + snippets.call("walk_through", "model", "tokenizer", text=text, layer=int(layer),
                                    head=int(head), causal=internals.task_of(choice) == "generate"),
        "print(json.dumps(result))")
