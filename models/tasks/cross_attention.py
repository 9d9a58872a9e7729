"""Cross-attention of a translation model: where the decoder looked in the source while writing each token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import limits, loader, snippets, stopping, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import translate, why_common
from serving.bridge import Stopped, stop_requested


@dataclass(frozen=True)
class CrossAttention:
    """What /cross_attention returns as its dict, and every layer's and head's map for bertviz."""

    result: dict  # {source_tokens, target_tokens, layer, head, attention (target x source), translation}
    maps: Any  # numpy (layers, heads, target, source)


def shape(choice: str | None = None) -> tuple[int, int]:
    """(decoder layers, heads per layer) of a translation model, from its config alone (no weights loaded); asked
    at page load too (see internals.shape)."""
    folder = loader.local_folder(why_common.resolve("translate", choice), weights=False)
    config = loader.transformers_attr("AutoConfig").from_pretrained(folder)
    layers = getattr(config, "num_decoder_layers", None) or getattr(config, "decoder_layers", None)
    heads = getattr(config, "decoder_attention_heads", None) or config.num_attention_heads
    return layers or config.num_hidden_layers, heads


def _plan(text: str, target_language: str, max_new_tokens: object, choice: str | None,
          on_progress: ProgressCallback | None = None):
    """The Translation tab's own model and plan for this text: its prefix, settings and one piece."""
    text = validate.text(text, "a text to translate", limits.WHY_CHARS)
    max_new_tokens = validate.integer(max_new_tokens, "max new tokens", 1, limits.CROSS_ATTENTION_NEW_TOKENS)
    loaded, plan = translate.make_plan(text, target_language, choice, on_progress, max_new_tokens)
    if plan is None or loaded.model is None:
        raise InputError("Cross-attention looks inside the model, so it needs one loaded in this app, not a "
                         "remote endpoint: pick another model.")
    if len(plan.pieces) > 1:
        raise InputError(f"The text is {plan.input_tokens} tokens, more than the model reads at once: the "
                         "Translation tab would cut it into pieces. Shorten it to one piece (a sentence or two).")
    return loaded, plan


def attend(text: str, target_language: str = "German", layer: int = 0, head: int = 0,
           max_new_tokens: int = limits.CROSS_ATTENTION_NEW_TOKENS, choice: str | None = None,
           on_progress: ProgressCallback | None = None) -> CrossAttention:
    """The translation /translate gives (same model, same max_new_tokens), and its cross-attention, read back on an
    eager copy."""
    from models.snippets import cross_attention

    loaded, plan = _plan(text, target_language, max_new_tokens, choice, on_progress)
    why_common.within_tokens(loaded.tokenizer, plan.prefix + plan.pieces[0], limits.CROSS_ATTENTION_TOKENS,
                             "the text with its task prefix")
    # The shared model writes (as /translate does); a copy reads it back with eager attention, which other
    # requests on the shared model never see.
    source_ids, written, translation, cross = cross_attention.translate_and_attend(
        loaded.model, loaded.tokenizer, plan, stopping.criteria(), reader=why_common.working_copy(loaded.model))
    if stop_requested():  # the translation was cut short: nobody reads it
        raise Stopped
    layer, head = validate.layer_and_head(layer, head, cross.shape[0], cross.shape[1])
    result = cross_attention.view(loaded.tokenizer, source_ids, written, translation, cross, layer, head)
    return CrossAttention(result, cross.double().cpu().numpy())


def code(text: str, target_language: str = "German", layer: int = 0, head: int = 0,
         max_new_tokens: int = limits.CROSS_ATTENTION_NEW_TOKENS, choice: str | None = None) -> str:
    """models/snippets/seq2seq.py (the Translation tab's plan), models/snippets/cross_attention.py, and the call
    that prints what /cross_attention returned (its dict)."""
    max_new_tokens = validate.integer(max_new_tokens, "max new tokens", 1, limits.CROSS_ATTENTION_NEW_TOKENS)
    plan = snippets.call("plan", "tokenizer", "model", text=text, task=translate.task_named(target_language),
                         chosen={"max_new_tokens": max_new_tokens}, per_sentence=True)
    return snippets.program(
        ["seq2seq", "cross_attention"], why_common.load_code(why_common.resolve("translate", choice)),
        f"text_plan = {plan}",
        "print(json.dumps(" + snippets.call("cross_attention", "model", "tokenizer", "text_plan", layer=int(layer),
                                            head=int(head)) + "))")
