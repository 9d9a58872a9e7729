"""The logit lens: each GPT-2 layer's guess at the next token, read with the final norm and the LM head."""

from __future__ import annotations

from models import limits, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import why_common


def lens(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> dict:
    """{tokens, layers, top_tokens (layers x positions), top_ids, top_probs}; the last layer is the model's own."""
    from models.snippets import logit_lens

    text = validate.text(text, "the text", limits.WHY_CHARS)
    loaded = why_common.local_model("generate", choice, on_progress)
    why_common.within_tokens(loaded.tokenizer, text, limits.WHY_TOKENS)
    if not hasattr(getattr(loaded.model, "transformer", None), "ln_f"):
        raise InputError("The logit lens reads GPT-2's final norm (transformer.ln_f), which this model does not "
                         "have: pick a GPT-2 model.")
    return logit_lens.logit_lens(loaded.model, loaded.tokenizer, text)


def code(text: str, choice: str | None = None) -> str:
    """The reference module and the call that prints what /logit_lens returned (its dict)."""
    return snippets.program(["logit_lens"], why_common.load_code(why_common.resolve("generate", choice)),
                            f"print(json.dumps(logit_lens(model, tokenizer, {text!r})))")
