"""bertviz's neuron view of the encoder: the queries and keys behind each attention weight, offline.

bertviz draws it from its own model classes (bertviz.transformers_neuron_view), which return queries and keys, and
whose from_pretrained wants old pytorch_model.bin files from the network. Instead, bertviz's BertModel is built
on the meta device (no memory) and handed the loaded encoder's own weights (shared, not copied): the same names,
so bertviz computes exactly the transformers model's attention, with no file and no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import limits, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import why_common

DECIMALS = 3  # the view's numbers: the page carries every layer's queries and keys


@dataclass(frozen=True)
class NeuronView:
    """bertviz's data for every layer and head (rounded for the page), and the chosen head in full precision."""

    bertviz: dict  # bertviz.neuron_view.get_attention's result: {"all": {attn, queries, keys, left_text, right_text}}
    result: dict  # {tokens, layer, head, queries, keys, scores (q·k/√d), attention}


def bertviz_model(model: Any) -> Any:
    """bertviz's own BertModel holding `model`'s weights (a transformers BERT encoder)."""
    import torch
    from bertviz.transformers_neuron_view import BertConfig, BertModel

    if model.config.model_type != "bert":
        raise InputError(f"bertviz's neuron view runs on its own BERT classes; this model is a "
                         f"{model.config.model_type}. Pick a BERT model (e.g. google-bert/bert-base-uncased).")
    config = BertConfig.from_dict(model.config.to_dict())
    config.output_attentions = True  # bertviz's layers then return {attn, queries, keys}
    with torch.device("meta"):
        twin = BertModel(config)
    # On the CPU, where bertviz puts its inputs (a GPU model's weights are copied; a CPU model's are shared).
    weights = {name: tensor.cpu() for name, tensor in model.state_dict().items()}
    missing, _ = twin.load_state_dict(weights, strict=False, assign=True)
    if missing:
        raise InputError(f"This encoder lacks weights bertviz's BERT needs ({', '.join(missing[:3])}…): pick "
                         "another model.")
    return twin.eval()


def neuron(text: str, layer: int = 0, head: int = 0, choice: str | None = None,
           on_progress: ProgressCallback | None = None) -> NeuronView:
    """bertviz's neuron-view data for `text`, and the chosen layer's and head's numbers."""
    import numpy as np
    import torch
    from bertviz import neuron_view

    text = validate.text(text, "the text", limits.WHY_CHARS)
    loaded = why_common.local_model("encoder", choice, on_progress)
    config = loaded.model.config
    layer, head = validate.layer_and_head(layer, head, config.num_hidden_layers, config.num_attention_heads)
    why_common.within_tokens(loaded.tokenizer, text, limits.NEURON_TOKENS)
    with torch.inference_mode():
        data = neuron_view.get_attention(bertviz_model(loaded.model), "bert", loaded.tokenizer, text,
                                         include_queries_and_keys=True)["all"]
    arrays = {key: np.asarray(data[key], dtype=np.float64) for key in ("attn", "queries", "keys")}
    queries, keys = arrays["queries"][layer, head], arrays["keys"][layer, head]  # each (seq, head_dim)
    result = {
        "tokens": data["left_text"],
        "layer": layer,
        "head": head,
        "queries": queries.tolist(),
        "keys": keys.tolist(),
        "scores": (queries @ keys.T / np.sqrt(queries.shape[-1])).tolist(),  # (seq, seq), before the softmax
        "attention": arrays["attn"][layer, head].tolist(),  # (seq, seq): each row sums to 1
    }
    rounded = {key: np.round(value, DECIMALS).tolist() for key, value in arrays.items()}
    return NeuronView({"all": {**data, **rounded}}, result)


def code(text: str, layer: int = 0, head: int = 0, choice: str | None = None) -> str:
    """bertviz code that builds the same view data offline and prints the chosen head's numbers."""

    resolved = why_common.resolve("encoder", choice)
    layer, head = int(layer), int(head)
    return f"""import json

import numpy as np
import torch
from bertviz import neuron_view
from bertviz.transformers_neuron_view import BertConfig, BertModel
{resolved.load_code("AutoModel")}

# bertviz's own BERT (it returns queries and keys), built empty and handed the encoder's weights: no download.
config = BertConfig.from_dict(model.config.to_dict())
config.output_attentions = True
with torch.device("meta"):
    twin = BertModel(config)
# On the CPU, where bertviz puts its inputs (a GPU model's weights are copied there).
twin.load_state_dict({{name: tensor.cpu() for name, tensor in model.state_dict().items()}}, strict=False, assign=True)
twin.eval()
with torch.inference_mode():
    data = neuron_view.get_attention(twin, "bert", tokenizer, {text!r}, include_queries_and_keys=True)["all"]
# In a notebook: neuron_view.show(twin, "bert", tokenizer, {text!r}, layer={layer}, head={head})
queries = np.asarray(data["queries"], dtype=np.float64)[{layer}, {head}]  # (seq, head_dim)
keys = np.asarray(data["keys"], dtype=np.float64)[{layer}, {head}]
print(json.dumps({{
    "tokens": data["left_text"], "layer": {layer}, "head": {head},
    "queries": queries.tolist(), "keys": keys.tolist(),
    "scores": (queries @ keys.T / np.sqrt(queries.shape[-1])).tolist(),
    "attention": np.asarray(data["attn"], dtype=np.float64)[{layer}, {head}].tolist(),
}}))
"""
