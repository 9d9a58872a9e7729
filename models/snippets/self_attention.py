"""Self-attention from scratch: one head of one layer in NumPy, from the model's own weights, step by step.

X (what the layer's attention reads) -> Q, K, V = X W + b, this head's slice of each -> scores =
Q K^T / sqrt(d_head), -inf above the diagonal for a causal model -> softmax per row -> weights V.
The weights are checked against the model's own attention probabilities.

The Attention tab runs this file, and its Show code prints it: it runs on its own.
"""

from dataclasses import dataclass

import numpy as np
import torch

DECIMALS = 4
TOP = 3  # each token's most attended tokens


@dataclass(frozen=True)
class Steps:
    """Every intermediate of one head, as float64 arrays; seq tokens, d_head dims per head."""

    x: np.ndarray  # (seq, hidden): what the layer's attention reads (GPT-2: after its layer norm ln_1)
    q: np.ndarray  # (seq, d_head) queries
    k: np.ndarray  # (seq, d_head) keys
    v: np.ndarray  # (seq, d_head) values
    scores: np.ndarray  # (seq, seq) q @ k.T / sqrt(d_head), -inf above the diagonal when causal
    weights: np.ndarray  # (seq, seq) softmax of each row: the attention probabilities
    output: np.ndarray  # (seq, d_head) weights @ v: each token's new vector from this head


def _linear(module) -> tuple[np.ndarray, np.ndarray]:
    # nn.Linear keeps its weight as (out, in): transposed, so that Q = X @ W + b.
    return module.weight.detach().double().cpu().numpy().T, module.bias.detach().double().cpu().numpy()


def _layer_norm(module):
    # GPT-2 normalises before attention (pre-LN): (x - mean) / sqrt(var + eps) * gamma + beta
    gamma, beta = module.weight.detach().double().cpu().numpy(), module.bias.detach().double().cpu().numpy()

    def apply(x: np.ndarray) -> np.ndarray:
        mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + module.eps) * gamma + beta
    return apply


def projections(model, layer: int):
    """(the function that prepares the layer's input, [(W, b)] for query, key and value), W as (hidden, hidden).

    BERT-like models (BERT, RoBERTa, MiniLM), DistilBERT and GPT-2; ValueError for others.
    """
    base = model.base_model
    if hasattr(base, "encoder") and hasattr(base.encoder, "layer"):
        attn = base.encoder.layer[layer].attention.self
        return (lambda x: x), [_linear(attn.query), _linear(attn.key), _linear(attn.value)]
    if hasattr(base, "transformer") and hasattr(base.transformer, "layer"):
        attn = base.transformer.layer[layer].attention
        return (lambda x: x), [_linear(attn.q_lin), _linear(attn.k_lin), _linear(attn.v_lin)]
    if hasattr(base, "h"):
        block = base.h[layer]
        weight = block.attn.c_attn.weight.detach().double().cpu().numpy()  # Conv1D: (in, 3 * hidden), Q|K|V
        bias = block.attn.c_attn.bias.detach().double().cpu().numpy()
        hidden = weight.shape[0]
        pairs = [(weight[:, i * hidden:(i + 1) * hidden], bias[i * hidden:(i + 1) * hidden]) for i in range(3)]
        return _layer_norm(block.ln_1), pairs
    raise ValueError(f"The from-scratch view knows BERT-, DistilBERT- and GPT-2-style models, not "
                     f"{model.config.model_type}.")


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's max so exp never overflows (exp(-inf) = 0)."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def one_head(model, hidden: np.ndarray, layer: int, head: int, heads: int, causal: bool) -> Steps:
    """Head `head` of layer `layer` on `hidden`, the layer's input (seq, hidden), in float64."""
    prepare, ((wq, bq), (wk, bk), (wv, bv)) = projections(model, layer)
    x = prepare(hidden)
    d_head = x.shape[1] // heads
    cols = slice(head * d_head, (head + 1) * d_head)  # this head's slice of the hidden dims
    q, k, v = (x @ w[:, cols] + b[cols] for w, b in ((wq, bq), (wk, bk), (wv, bv)))  # each (seq, d_head)
    scores = q @ k.T / np.sqrt(d_head)  # (seq, seq): how well query i matches key j
    if causal:  # a token may not look ahead
        scores = np.where(np.triu(np.ones_like(scores, dtype=bool), k=1), -np.inf, scores)
    weights = softmax(scores)
    return Steps(x, q, k, v, scores, weights, weights @ v)


def rounded(matrix: np.ndarray) -> list:
    return np.where(np.isinf(matrix), None, np.round(matrix, DECIMALS)).tolist()  # -inf -> null in JSON


def top_attended(tokens: list[str], weights: np.ndarray) -> list[dict]:
    """Each token's TOP most attended tokens with their weights."""
    result = []
    for i, row in enumerate(weights):
        best = sorted(range(len(row)), key=lambda j: -row[j])[:TOP]
        result.append({"token": tokens[i],
                       "attends_to": [{"token": tokens[j], "weight": round(float(row[j]), DECIMALS)} for j in best]})
    return result


def report(tokens: list[str], layer: int, head: int, causal: bool, dtype: str, steps: Steps,
           model_weights: np.ndarray) -> dict:
    """Every step rounded, each token's top 3, and how far the weights are from the model's own (seq, seq)."""
    return {
        "tokens": tokens, "layer": layer, "head": head, "causal": causal, "model_dtype": dtype,
        "d_head": steps.q.shape[1], "q": rounded(steps.q), "k": rounded(steps.k), "v": rounded(steps.v),
        "scores": rounded(steps.scores), "weights": rounded(steps.weights), "output": rounded(steps.output),
        "top": top_attended(tokens, steps.weights),
        # two significant digits: it is float round-off (about 1e-7), not a value to compare exactly
        "max_abs_difference_from_model": float(f"{np.abs(steps.weights - model_weights).max():.1e}"),
    }


def walk_through(model, tokenizer, text: str, layer: int, head: int, causal: bool) -> dict:
    """One forward pass of the model (loaded with attn_implementation="eager"), then one head from scratch."""
    inputs = tokenizer(text, return_tensors="pt").to(model.device)  # each (1, seq), where the model is
    with torch.inference_mode():
        output = model(**inputs, output_attentions=True, output_hidden_states=True)
    hidden = output.hidden_states[layer][0].double().cpu().numpy()  # (seq, hidden): the input of layer `layer`
    own = output.attentions[layer][0].double().cpu().numpy()  # (heads, seq, seq): the model's own probabilities
    steps = one_head(model, hidden, layer, head, own.shape[0], causal)
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist())
    return report(tokens, layer, head, causal, str(model.dtype).removeprefix("torch."), steps, own[head])
