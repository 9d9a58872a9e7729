"""Silence attention heads and see what the model says then: a hook on each layer's attention output projection.

Self-contained reference code (it needs torch and transformers only): the app's "Why?" tab runs these very
functions, and its Show code panel prints this file followed by the call that made the view.

transformers 5 has no `head_mask` any more. A layer's heads each write their output into their own slice of one
vector, (batch, seq, heads x head_dim), which the output projection then mixes; zeroing a head's slice just before
that projection is exactly what head_mask=0 did. With no head silenced no hook is installed at all, so the model
computes exactly what it computes without this code.
"""

import contextlib
import re
from collections.abc import Callable, Iterator

import torch
from transformers import PreTrainedTokenizerBase

# Each layer's attention output projection (its input is every head's output side by side), by architecture:
# BERT, RoBERTa, MiniLM, ELECTRA | DistilBERT | GPT-2.
OUTPUT_PROJECTION = re.compile(
    r"(?:^|\.)(?:layer|h)\.(\d+)\.(?:attention\.output\.dense|attention\.out_lin|attn\.c_proj)$")
HEAD = re.compile(r"^(\d+)\.(\d+|\*)$")  # layer.head, or layer.* for every head of a layer
TOP_TOKENS = 5  # a language model's "classes": its likeliest tokens before any head is silenced
CHUNK = 16  # heads silenced one at a time: this many copies of the text per forward pass


class TargetError(ValueError):
    """Heads that do not exist, or a text that gives the model nothing to answer: the message says what to do."""


def parse_heads(heads: str, layers: int, per_layer: int) -> list[tuple[int, int]]:
    """"0.1, 2.3, 5.*" -> [(0, 1), (2, 3), (5, 0), (5, 1), ...], sorted and without repeats; "" -> []."""
    found = set()
    for item in filter(None, re.split(r"[,;\s]+", heads)):
        match = HEAD.match(item)
        if not match:
            raise TargetError(f"{item[:20]!r} is not a head: write each as layer.head counted from 0, e.g. "
                              "\"0.1, 2.3\" (2.* silences every head of layer 2), or leave it empty.")
        layer = int(match.group(1))
        if layer >= layers:
            raise TargetError(f"{item!r}: this model has layers 0-{layers - 1}.")
        if match.group(2) == "*":
            found.update((layer, head) for head in range(per_layer))
        elif int(match.group(2)) >= per_layer:
            raise TargetError(f"{item!r}: this model has heads 0-{per_layer - 1} in each layer.")
        else:
            found.add((layer, int(match.group(2))))
    return sorted(found)


def projections(model: torch.nn.Module) -> list[torch.nn.Module]:
    """Every layer's attention output projection, in layer order (empty for an architecture not listed above)."""
    found = {}
    for name, module in model.named_modules():
        match = OUTPUT_PROJECTION.search(name)
        if match:
            found[int(match.group(1))] = module
    return [found[layer] for layer in sorted(found)]


@contextlib.contextmanager
def silenced(model: torch.nn.Module, gates: torch.Tensor) -> Iterator[None]:
    """Within the block, head h of layer l is multiplied by gates[:, l, h] (batch, layers, heads): 0 silences it.

    Each row of the batch may silence different heads. Layers whose heads all stay get no hook.
    """
    heads = gates.shape[2]

    def gate(layer: int) -> Callable:
        def hook(module, args):
            mixed = args[0]  # (batch, seq, heads * head_dim): the heads' outputs side by side
            batch, seq, width = mixed.shape
            split = mixed.view(batch, seq, heads, width // heads)
            kept = split * gates[:, layer, None, :, None].to(mixed.dtype)  # (batch, seq, heads, head_dim)
            return (kept.view(batch, seq, width), *args[1:])
        return hook

    handles = [module.register_forward_pre_hook(gate(layer))
               for layer, module in enumerate(projections(model)) if not bool(gates[:, layer].all())]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def distribution(model: torch.nn.Module, inputs: dict, position: int | None) -> torch.Tensor:
    """The probabilities the task reads, (batch, classes or vocabulary): a classifier's classes (softmax of its
    logits, as the text-classification pipeline does) when `position` is None, else a language model's tokens
    at that position (the mask, or -1: the next token)."""
    with torch.inference_mode():
        logits = model(**inputs).logits
    if position is None:
        return logits.float().softmax(-1)  # (batch, classes)
    return logits[:, position].float().softmax(-1)  # (batch, vocab)


def position(tokenizer: PreTrainedTokenizerBase, inputs: dict, task: str) -> int | None:
    """Where the task reads the model's answer: nowhere in particular (a classifier), the mask, or the end."""
    if task == "sentiment":
        return None
    if task == "fill_mask":
        masks = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
        if len(masks) != 1:
            raise TargetError(f"Put exactly one {tokenizer.mask_token} in the text (found {len(masks)}), "
                              f"e.g. \"Paris is the {tokenizer.mask_token} of France.\"")
        return masks[0]
    return -1


def names(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, task: str, probs: torch.Tensor) -> dict:
    """index -> name of the classes shown: every class, or a language model's TOP_TOKENS likeliest tokens."""
    if task == "sentiment":
        return dict(model.config.id2label)
    top = probs.argsort(descending=True, stable=True)[:TOP_TOKENS].tolist()  # ties by token id (bfloat16 has many)
    return {index: tokenizer.decode([index]) for index in top}


def ablate(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str, heads: str,
           task: str = "sentiment", top: int = 10, on_chunk: Callable[[int, int], None] | None = None) -> dict:
    """Class probabilities with every head, and with `heads` ("0.1, 2.3") silenced; then each head silenced alone:
    how much the predicted class's probability changes (after - before), for every layer and head."""
    layers, per_layer = model.config.num_hidden_layers, model.config.num_attention_heads
    heads = parse_heads(heads, layers, per_layer)
    inputs = dict(tokenizer(text, return_tensors="pt", truncation=True).to(model.device))  # each (1, seq)
    where = position(tokenizer, inputs, task)
    before = distribution(model, inputs, where)[0]
    gates = torch.ones(1, layers, per_layer, device=model.device)
    for layer, head in heads:
        gates[0, layer, head] = 0.0
    with silenced(model, gates):
        after = distribution(model, inputs, where)[0]
    shown = names(model, tokenizer, task, before)
    predicted = int(before.argmax())
    # One row per head, that head silenced: gates (layers * heads, layers, heads), an identity with 0s.
    alone = 1.0 - torch.eye(layers * per_layer, device=model.device).view(-1, layers, per_layer)
    changes, flips = [], []
    for first in range(0, len(alone), CHUNK):
        rows = alone[first:first + CHUNK]
        batch = {name: tensor.expand(len(rows), -1) for name, tensor in inputs.items()}
        with silenced(model, rows):
            probs = distribution(model, batch, where)  # (rows, classes)
        changes += (probs[:, predicted] - before[predicted]).tolist()
        flips += probs.argmax(-1).tolist()
        if on_chunk:
            on_chunk(min(first + CHUNK, len(alone)), len(alone))
    ranked = sorted(range(len(changes)), key=lambda i: -abs(changes[i]))[:top]
    return {
        "tokens": tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist()),
        "silenced": [list(pair) for pair in heads],
        "before": {name: float(before[index]) for index, name in shown.items()},
        "after": {name: float(after[index]) for index, name in shown.items()},
        "prediction_before": shown[predicted],
        "prediction_after": label(model, tokenizer, task, int(after.argmax())),
        "one_at_a_time": {
            "class": shown[predicted],
            "change": [changes[i:i + per_layer] for i in range(0, len(changes), per_layer)],  # (layers, heads)
            "largest": [{"layer": i // per_layer, "head": i % per_layer, "change": changes[i],
                         "prediction": label(model, tokenizer, task, flips[i])} for i in ranked],
        },
    }


def label(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, task: str, index: int) -> str:
    """A class's name, or a token as text."""
    return model.config.id2label[index] if task == "sentiment" else tokenizer.decode([index])
