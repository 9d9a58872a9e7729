"""Which input tokens drove a prediction: integrated gradients, or gradient × input, on the token embeddings.

Self-contained reference code (it needs torch and transformers only): the app's "Why?" tab runs these very
functions, and its Show code panel prints this file followed by the call that made the view.

Integrated gradients (Sundararajan et al., 2017) walks a straight line from a baseline input to the real one and
adds up the gradient of the score along it. Each token's share is (its embedding - its baseline embedding) · the
mean gradient, and the shares add up to score(input) - score(baseline) ("completeness"), up to the error of the
trapezoid rule over `steps` intervals. The baseline keeps the special tokens ([CLS], [SEP], [MASK]) and puts the
pad token's embedding in place of every token of the text: the same sentence with its words blanked out.
Gradient × input is the one-step shortcut: embedding · gradient at the input itself, with no completeness.
"""

from collections.abc import Callable

import torch
from transformers import PreTrainedTokenizerBase

METHODS = ("integrated_gradients", "gradient_x_input")
CHUNK = 8  # points of the path per forward and backward pass: bounds the memory the gradients take
HYPOTHESIS = "This example is {}."  # zero-shot: the sentence a label is put into (as the zero-shot pipeline does)

Score = Callable[[object], torch.Tensor]  # the model's output for a batch -> one number per row, (batch,)


class TargetError(ValueError):
    """The model has no such answer to explain (an unknown class, not one token, no mask): the message says why."""


def encode(tokenizer: PreTrainedTokenizerBase, text: str, pair: str | None = None,
           device: torch.device | str = "cpu") -> tuple[dict, list]:
    """The model's inputs for one text (each (1, seq), on the model's `device`), and each token's (start, end) in
    `text`, or None for a token that is not from the text (special tokens, and the tokens of `pair`)."""
    inputs = tokenizer(text, pair, return_tensors="pt", return_offsets_mapping=True)
    offsets = inputs.pop("offset_mapping")[0].tolist()
    special = set(tokenizer.all_special_ids)
    ids = inputs["input_ids"][0].tolist()
    spans = [tuple(span) if sequence == 0 and token not in special else None
             for span, sequence, token in zip(offsets, inputs.sequence_ids(0), ids)]
    return dict(inputs.to(device)), spans


def blank_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token whose embedding blanks a word out: the pad token, else (GPT-2 has none) the end-of-text token."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def run_on_embeddings(model: torch.nn.Module, inputs: dict, embedded: torch.Tensor):
    """The model's output with `embedded` (batch, seq, dim) in place of its token embeddings.

    A hook replaces what the embedding layer returns on its first call (an encoder-decoder embeds its decoder's
    tokens with the same layer afterwards); positions, token types and masks come from `inputs` as usual.
    """
    calls = []

    def replace(module, args, output):
        calls.append(module)
        return embedded if len(calls) == 1 else output

    handle = model.get_input_embeddings().register_forward_hook(replace)
    try:
        return model(**{name: tensor.expand(len(embedded), -1) for name, tensor in inputs.items()})
    finally:
        handle.remove()


def attribute(model: torch.nn.Module, inputs: dict, spans: list, blank: int, score: Score,
              method: str = "integrated_gradients", steps: int = 32,
              on_chunk: Callable[[int, int], None] | None = None) -> tuple[list[float], float, float]:
    """Each token's share of the score, the score at the input, and the score at the baseline.

    Tokens without a span keep their own embedding in the baseline; the others get the embedding of `blank`.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    embedding = model.get_input_embeddings()
    with torch.no_grad():
        real = embedding(inputs["input_ids"])[0].float()  # (seq, dim)
        blanked = embedding(torch.tensor([[blank]], device=real.device))[0, 0].float()  # (dim,)
    keep = torch.tensor([span is None for span in spans], device=real.device)[:, None]  # (seq, 1)
    baseline = torch.where(keep, real, blanked)  # (seq, dim)
    if method == "integrated_gradients":
        alphas = torch.linspace(0.0, 1.0, steps + 1, device=real.device)  # the path: 0 is the baseline, 1 the input
        weights = torch.full((steps + 1,), 1.0 / steps, device=real.device)
        weights[[0, -1]] /= 2  # the trapezoid rule
    else:
        alphas, weights = torch.ones(1, device=real.device), torch.ones(1, device=real.device)
    gradient = torch.zeros_like(real)  # (seq, dim): the weighted sum of the gradients along the path
    values = []
    for done, (alpha, weight) in enumerate(zip(alphas.split(CHUNK), weights.split(CHUNK)), 1):
        path = (baseline + alpha[:, None, None] * (real - baseline)).requires_grad_()  # (chunk, seq, dim)
        value = score(run_on_embeddings(model, inputs, path))  # (chunk,)
        (grad,) = torch.autograd.grad(value.sum(), path)  # (chunk, seq, dim)
        gradient += (grad * weight[:, None, None]).sum(0)
        values.append(value.detach())
        if on_chunk:
            on_chunk(min(done * CHUNK, len(alphas)), len(alphas))
    values = torch.cat(values)  # (points,)
    if method == "integrated_gradients":
        shares = ((real - baseline) * gradient).sum(-1)  # (seq,)
        return shares.tolist(), float(values[-1]), float(values[0])
    with torch.no_grad():
        at_baseline = score(run_on_embeddings(model, inputs, baseline[None]))[0]
    return (real * gradient).sum(-1).tolist(), float(values[0]), float(at_baseline)


def explained(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, inputs: dict, spans: list, score: Score,
              method: str, steps: int, on_chunk: Callable[[int, int], None] | None, **about: str) -> dict:
    """The attribution as the view shows it: tokens, scores and what they explain (`about`)."""
    blank = blank_id(tokenizer)
    shares, at_input, at_baseline = attribute(model, inputs, spans, blank, score, method, steps, on_chunk)
    return {
        "tokens": tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist()),
        "offsets": [list(span) if span else None for span in spans],
        "scores": shares,
        **about,
        "method": method,
        "steps": steps if method == "integrated_gradients" else None,
        "target_score": at_input,
        "baseline_score": at_baseline,
        "baseline": f"every token of the text replaced by {tokenizer.convert_ids_to_tokens(blank)!r}; "
                    "special tokens kept",
    }


def explain_class(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str, target: str | None = None,
                  method: str = "integrated_gradients", steps: int = 32,
                  on_chunk: Callable[[int, int], None] | None = None) -> dict:
    """A sequence classifier (sentiment): the target class's probability (the predicted class if none)."""
    inputs, spans = encode(tokenizer, text, device=model.device)
    labels = model.config.id2label
    with torch.no_grad():
        predicted = int(model(**inputs).logits[0].argmax())
    index = predicted if not target else class_index(labels, target)

    def score(output) -> torch.Tensor:
        return output.logits.float().softmax(-1)[:, index]  # (batch,)

    return explained(model, tokenizer, inputs, spans, score, method, steps, on_chunk, target=labels[index],
                     prediction=labels[predicted], measure=f"probability of the class {labels[index]!r}")


def class_index(labels: dict[int, str], target: str) -> int:
    """The index of a class named `target` (case does not matter)."""
    for index, name in labels.items():
        if name.lower() == target.strip().lower():
            return index
    raise TargetError(f"This model has no class {target!r}. Its classes: {', '.join(labels.values())}; "
                      "or leave the target empty for the predicted one.")


def token_id(tokenizer: PreTrainedTokenizerBase, token: str) -> int:
    """The id of a token given as text: as typed, else with a leading space (GPT-2 and RoBERTa mark a word that
    follows a space with it: " Paris")."""
    for form in (token, " " + token):
        ids = tokenizer(form, add_special_tokens=False)["input_ids"]
        if len(ids) == 1:
            return ids[0]
    pieces = tokenizer.convert_ids_to_tokens(tokenizer(token, add_special_tokens=False)["input_ids"])
    raise TargetError(f"{token!r} is not one token of this model's vocabulary (it splits into {pieces}). "
                      "Enter a single token, e.g. the prediction, or leave the target empty.")


def explain_token(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, inputs: dict, spans: list,
                  logits_of: Callable[[object], torch.Tensor], where: str, target: str | None, method: str,
                  steps: int, on_chunk: Callable[[int, int], None] | None) -> dict:
    """A language model's probability of one token (the likeliest if none) from the logits `logits_of` picks,
    (batch, vocab)."""
    with torch.no_grad():
        predicted = int(logits_of(model(**inputs))[0].argmax())
    wanted = predicted if not target else token_id(tokenizer, target)

    def score(output) -> torch.Tensor:
        return logits_of(output).float().softmax(-1)[:, wanted]  # (batch,)

    name = tokenizer.decode([wanted])
    return explained(model, tokenizer, inputs, spans, score, method, steps, on_chunk, target=name,
                     prediction=tokenizer.decode([predicted]), measure=f"probability of the token {name!r} {where}")


def explain_masked_token(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str,
                         target: str | None = None, method: str = "integrated_gradients", steps: int = 32,
                         on_chunk: Callable[[int, int], None] | None = None) -> dict:
    """A masked language model (fill-mask): the probability of a candidate token at the mask."""
    inputs, spans = encode(tokenizer, text, device=model.device)
    masks = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
    if len(masks) != 1:
        raise TargetError(f"Put exactly one {tokenizer.mask_token} in the text (found {len(masks)}), "
                          f"e.g. \"Paris is the {tokenizer.mask_token} of France.\"")
    return explain_token(model, tokenizer, inputs, spans, lambda output: output.logits[:, masks[0]],
                         f"at {tokenizer.mask_token}", target, method, steps, on_chunk)


def explain_next_token(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str,
                       target: str | None = None, method: str = "integrated_gradients", steps: int = 32,
                       on_chunk: Callable[[int, int], None] | None = None) -> dict:
    """A causal language model (GPT-2): the probability of the next token after the text."""
    inputs, spans = encode(tokenizer, text, device=model.device)
    return explain_token(model, tokenizer, inputs, spans, lambda output: output.logits[:, -1], "next",
                         target, method, steps, on_chunk)


def explain_label(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str, target: str | None,
                  method: str = "integrated_gradients", steps: int = 32,
                  on_chunk: Callable[[int, int], None] | None = None) -> dict:
    """Zero-shot: one label's score for the text.

    An NLI model (its labels include "entailment") scores "This example is {label}." as following from the text:
    P(entailment) against contradiction, as the zero-shot pipeline scores one label. Any other encoder scores the
    cosine similarity of the text's and the hypothesis's mean-pooled embeddings. Only the text is blanked out.
    """
    if not target:
        raise TargetError("Zero-shot has no fixed classes: enter the label to explain, e.g. \"sport\".")
    hypothesis = HYPOTHESIS.format(target.strip())
    label2id = {name.lower(): index for name, index in (model.config.label2id or {}).items()}
    entailment = next((index for name, index in label2id.items() if name.startswith("entail")), None)
    if entailment is not None:
        inputs, spans = encode(tokenizer, text, hypothesis, model.device)
        contradiction = len(label2id) - 1 if entailment == 0 else 0  # the zero-shot pipeline's choice

        def score(output) -> torch.Tensor:
            return output.logits.float()[:, [contradiction, entailment]].softmax(-1)[:, 1]  # (batch,)

        measure = f"probability that {hypothesis!r} follows from the text (entailment against contradiction)"
    else:
        inputs, spans = encode(tokenizer, text, device=model.device)
        with torch.no_grad():
            statement = tokenizer(hypothesis, return_tensors="pt").to(model.device)
            reference = sentence_vector(model(**statement).last_hidden_state, statement["attention_mask"])  # (1, dim)

        def score(output) -> torch.Tensor:
            return (sentence_vector(output.last_hidden_state, inputs["attention_mask"]) * reference).sum(-1)

        measure = f"cosine similarity of the text and {hypothesis!r} (mean-pooled embeddings)"
    return explained(model, tokenizer, inputs, spans, score, method, steps, on_chunk, target=target.strip(),
                     prediction=target.strip(), measure=measure)


def sentence_vector(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token vectors (batch, seq, dim) where mask (1 or batch, seq) is 1, L2-normalised: (batch, dim)."""
    weights = mask[..., None].to(hidden.dtype)  # (1 or batch, seq, 1)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled.float(), dim=-1)
