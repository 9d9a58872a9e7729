"""Head ablation: the model's answer with chosen attention heads silenced, and each head's effect on its own."""

from __future__ import annotations

from models import limits, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import why_common

TASKS = ("sentiment", "fill_mask", "generate")  # a classifier's classes, or a language model's likeliest tokens


def _heads(heads: object) -> str:
    if heads is None:
        return ""
    if not isinstance(heads, str):
        raise InputError(f"Expected the heads as text such as \"0.1, 2.3\", got {type(heads).__name__}.")
    if len(heads) > limits.ABLATION_HEADS_CHARS:
        raise InputError(f"The list of heads is {len(heads):,} characters; the limit is "
                         f"{limits.ABLATION_HEADS_CHARS:,}. Use layer.* for a whole layer.")
    return validate.characters(heads, "the list of heads")


def ablate(text: str, heads: str, task: str = "sentiment", choice: str | None = None,
           on_progress: ProgressCallback | None = None) -> dict:
    """{tokens, silenced, before, after, prediction_before, prediction_after, one_at_a_time: {class, change
    (layers x heads), largest}}: probabilities as the task's own endpoint computes them (before == /sentiment's)."""
    from models.snippets import head_ablation

    task = why_common.one_of(task, TASKS, "task")
    text, heads = validate.text(text, "the text", limits.WHY_CHARS), _heads(heads)
    loaded = why_common.local_model(task, choice, on_progress)
    why_common.within_tokens(loaded.tokenizer, text, limits.WHY_TOKENS)
    # Hooks go on a copy that shares the weights (same dtype, so "no head silenced" is the shared model's answer).
    model = why_common.working_copy(loaded.model)
    if not head_ablation.projections(model):
        raise InputError("Head ablation knows where BERT, RoBERTa, DistilBERT and GPT-2 layers mix their heads; "
                         "this model is none of them: pick another model.")
    progress = why_common.chunk_progress(on_progress, "Silencing one head at a time")
    try:
        return head_ablation.ablate(model, loaded.tokenizer, text, heads, task, on_chunk=progress)
    except head_ablation.TargetError as exc:
        raise InputError(str(exc)) from None


def code(text: str, heads: str, task: str = "sentiment", choice: str | None = None) -> str:
    """The reference module and the call that prints what /ablate_heads returned (its dict)."""
    task = why_common.one_of(task, TASKS, "task")
    call = f"ablate(model, tokenizer, {text!r}, {_heads(heads)!r}, {task!r})"
    return snippets.program(["head_ablation"], why_common.load_code(why_common.resolve(task, choice)),
                            f"print(json.dumps({call}))")
