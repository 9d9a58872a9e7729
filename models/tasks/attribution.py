"""Attribution: which input tokens drove a prediction, by integrated gradients or gradient × input."""

from __future__ import annotations

from models import limits, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import why_common

# task -> the reference function that explains it (models/snippets/attribution.py)
EXPLAINERS = {
    "sentiment": "explain_class",
    "zero_shot": "explain_label",
    "fill_mask": "explain_masked_token",
    "generate": "explain_next_token",
}
METHODS = ("integrated_gradients", "gradient_x_input")  # the snippet's METHODS (not imported: it imports torch)


def _checked(task: object, target: object, method: object, steps: object) -> tuple[str, str | None, str, int]:
    task = why_common.one_of(task, EXPLAINERS, "task")
    if target is None:
        target = ""
    if not isinstance(target, str):
        raise InputError(f"Expected the target as text, got {type(target).__name__}.")
    if len(target) > limits.ATTRIBUTION_TARGET_CHARS:
        raise InputError(f"The target is {len(target):,} characters; a class, label or token is at most "
                         f"{limits.ATTRIBUTION_TARGET_CHARS}. Shorten it, or leave it empty for the prediction.")
    validate.characters(target, "the target")
    method = why_common.one_of(method, METHODS, "method")
    steps = validate.integer(steps, "steps", 1, limits.ATTRIBUTION_STEPS)
    return task, target if target.strip() else None, method, steps


def explain(text: str, task: str = "sentiment", target: str = "", method: str = "integrated_gradients",
            steps: int = 32, choice: str | None = None, on_progress: ProgressCallback | None = None) -> dict:
    """{tokens, offsets, scores, target, prediction, measure, method, steps, target_score, baseline_score, baseline}.

    For integrated gradients the scores add up to target_score - baseline_score (to the integration's error).
    Computed in float32 on a private copy of the model the app serves (bfloat16 weights stay as they are).
    """
    import torch

    from models.snippets import attribution

    task, target, method, steps = _checked(task, target, method, steps)
    text = validate.text(text, "the text", limits.WHY_CHARS)
    loaded = why_common.local_model(task, choice, on_progress)
    why_common.within_tokens(loaded.tokenizer, text, limits.WHY_TOKENS)
    model = why_common.working_copy(loaded.model, torch.float32)
    explainer = getattr(attribution, EXPLAINERS[task])
    progress = why_common.chunk_progress(on_progress, "Integrating along the path" if steps > 1 else "Gradients")
    try:
        return explainer(model, loaded.tokenizer, text, target, method=method, steps=steps, on_chunk=progress)
    except attribution.TargetError as exc:
        raise InputError(str(exc)) from None


def code(text: str, task: str = "sentiment", target: str = "", method: str = "integrated_gradients",
         steps: int = 32, choice: str | None = None) -> str:
    """The reference module and the call that prints what /attribution returned (its dict)."""
    task, target, method, steps = _checked(task, target, method, steps)
    resolved = why_common.resolve(task, choice)
    call = f"{EXPLAINERS[task]}(model, tokenizer, {text!r}, {target!r}, method={method!r}, steps={steps})"
    return snippets.program(["attribution"], why_common.load_code(resolved, float32=True), f"print(json.dumps({call}))")
