"""Cross-attention: where a translation model's decoder looked in the English while it wrote each target token.

Self-contained reference code (torch and transformers; the plan comes from models/snippets/seq2seq.py, printed
before it): the app's "Why?" tab runs these very functions, and its Show code panel prints both files followed
by the call that made the view.

The translation is generated exactly as the Translation tab does it (same plan: prefix, settings, one piece).
Then one more forward pass reads the finished translation back (teacher forcing: the decoder is given the
tokens it wrote) and returns the attention weights, which generate() does not keep for beam search. Row i of a
cross-attention map is the decoder at the step that wrote target token i: a softmax over the source tokens, so
each row sums to 1. The translation is written with the model's own attention kernel, as the Translation tab
writes it (in bf16, eager attention rounds differently and can write another translation); the reading pass
needs eager attention, since the default kernel returns no weights, so it runs with eager attention.
"""

import torch
from transformers import PreTrainedTokenizerBase


def translate_and_attend(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text_plan,
                         stopping_criteria=None, reader: torch.nn.Module | None = None,
                         ) -> tuple[list[int], list[int], str, torch.Tensor]:
    """(source ids, written ids, translation, cross-attention (layers, heads, written, source)) for a plan of
    one piece (seq2seq.plan: the task prefix, the text, the generation settings). stopping_criteria, if given,
    goes to model.generate (the app ends a request that was stopped with it). `reader` reads the translation back:
    by default the model itself, switched to eager attention for that pass (the app passes a copy of its model,
    which other requests use meanwhile)."""
    source = text_plan.prefix + text_plan.pieces[0]
    inputs = tokenizer(source, return_tensors="pt", truncation=True,
                       max_length=text_plan.max_input).to(model.device)  # (1, source), where the model is
    inputs.pop("token_type_ids", None)
    with torch.inference_mode():
        # (1, 1 + written): the decoder's start token first
        output = model.generate(**inputs, **text_plan.settings, stopping_criteria=stopping_criteria)
        translation = tokenizer.decode(output[0], skip_special_tokens=True, clean_up_tokenization_spaces=False)
        # The decoder reads the start token and every written token but the last, and predicts the next one.
        forced = _with_attentions(reader or model, inputs, output[:, :-1])
    cross = torch.cat(forced.cross_attentions).float()  # layers x (1, heads, written, source) -> (layers, ...)
    return inputs["input_ids"][0].tolist(), output[0, 1:].tolist(), translation, cross


def _with_attentions(model: torch.nn.Module, inputs, decoder_input_ids: torch.Tensor):
    """One forward pass with eager attention (the only kernel that returns weights), then the model's own again."""
    kernel = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        return model(**inputs, decoder_input_ids=decoder_input_ids, output_attentions=True)
    finally:
        model.set_attn_implementation(kernel)


def token_names(tokenizer: PreTrainedTokenizerBase, ids: list[int]) -> list[str]:
    """Each id's token; an id the model has but its tokenizer lacks (t5-small's last 28) as <id 32127>."""
    return [name if name is not None else f"<id {i}>" for i, name in zip(ids, tokenizer.convert_ids_to_tokens(ids))]


def view(tokenizer: PreTrainedTokenizerBase, source_ids: list[int], written: list[int], translation: str,
         cross: torch.Tensor, layer: int, head: int) -> dict:
    """{source_tokens, target_tokens, layer, head, attention (target x source), translation} for one head."""
    return {
        "source_tokens": token_names(tokenizer, source_ids),
        "target_tokens": token_names(tokenizer, written),
        "layer": layer,
        "head": head,
        "attention": cross[layer, head].tolist(),
        "translation": translation,
    }


def cross_attention(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text_plan, layer: int = 0,
                    head: int = 0) -> dict:
    """One decoder layer's and head's cross-attention over the source, for the translation it belongs to."""
    source_ids, written, translation, cross = translate_and_attend(model, tokenizer, text_plan)
    return view(tokenizer, source_ids, written, translation, cross, layer, head)
