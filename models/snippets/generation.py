"""What a causal language model did at each step of a generation, read back from the finished text.

Self-contained reference code (it needs torch and transformers only): the Text generation tab runs these
functions, and its Show code panel prints this file, then the generate() call with your settings and the call
that made the view.

generate() writes one token per step: the model reads the text so far, and its scores at the last position pick
the next token. One pass over the prompt and the finished tokens gives every step at once (teacher forcing):
position p's scores are what the model predicted for the token at p + 1, and position p's attention row is what
it looked at to write that token. A causal model never looks at a later token, so these are the steps generate()
took (it caches each step's keys and values instead of computing them again).
"""

import torch


def until_end(ids: list[int], eos: int | None) -> list[int]:
    """A sequence's new ids up to and including its first end token (generate() pads what follows)."""
    return ids[: ids.index(eos) + 1] if eos in ids else ids


def band(probability: float, bands: tuple[tuple[str, float], ...]) -> str:
    """The label of the first band (label, lowest probability) that `probability` reaches."""
    return next(label for label, low in bands if probability >= low)


def _ids(tokenizer, prompt: str, new_ids: list[int]) -> tuple[list[int], torch.Tensor]:
    prompt_ids = tokenizer(prompt)["input_ids"]
    return prompt_ids, torch.tensor([prompt_ids + list(new_ids)])  # (1, prompt + new)


def probabilities(model, tokenizer, prompt: str, new_ids: list[int], top: int,
                  bands: tuple[tuple[str, float], ...]) -> list[dict]:
    """For each new token: {step, token, token_id, probability, band, alternatives: the `top` likeliest tokens at
    that step as {token, token_id, probability}}. The probabilities are the model's own (softmax of its scores),
    before temperature, top-k, top-p or penalties reshaped them for sampling."""
    if not new_ids:
        return []
    _, full = _ids(tokenizer, prompt, new_ids)
    with torch.inference_mode():
        # Only the scores that predicted a new token: (1, new + 1, vocab); the last one predicts nothing.
        logits = model(input_ids=full, logits_to_keep=len(new_ids) + 1).logits
    probs = logits[0, :-1].float().softmax(-1)  # (new, vocab)
    best = probs.topk(min(top, probs.shape[-1]), dim=-1)  # values, indices: (new, top)
    steps = []
    for i, token_id in enumerate(new_ids):
        probability = float(probs[i, token_id])
        steps.append({
            "step": i + 1, "token": tokenizer.decode([token_id]), "token_id": token_id,
            "probability": probability, "band": band(probability, bands),
            "alternatives": [{"token": tokenizer.decode([j]), "token_id": j, "probability": float(p)}
                             for p, j in zip(best.values[i].tolist(), best.indices[i].tolist())],
        })
    return steps


def attention(model, tokenizer, prompt: str, new_ids: list[int], layer: int, head: int) -> dict:
    """What the model looked at to write each new token: {text, tokens, prompt_tokens, layer, head, attention}.

    tokens: the prompt's, then the new ones. attention[i][j]: how much the position that wrote new token i (the
    token just before it) attended to token j, in `layer` and `head` (-1: the mean over all layers, or over the
    layer's heads). Each row sums to 1, and is 0 from new token i on: no position sees a later one.
    """
    prompt_ids, full = _ids(tokenizer, prompt, new_ids)
    with torch.inference_mode():
        # Needs eager attention: the default SDPA kernel returns no weights. layers x (1, heads, seq, seq)
        maps = torch.cat(model(input_ids=full, output_attentions=True).attentions).float()
    maps = maps if layer < 0 else maps[layer : layer + 1]
    maps = maps if head < 0 else maps[:, head : head + 1]
    start = len(prompt_ids) - 1  # the position that wrote the first new token
    rows = maps.mean(dim=(0, 1))[start : start + len(new_ids)]  # (new, seq)
    return {
        "text": prompt + tokenizer.decode(new_ids, skip_special_tokens=True),
        "tokens": [tokenizer.decode([token]) for token in full[0].tolist()],
        "prompt_tokens": len(prompt_ids),
        "layer": layer,
        "head": head,
        "attention": rows.tolist(),
    }
