"""Self-attention from scratch: one head in NumPy, from the model's own weights, step by step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import limits
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import internals
from models.tasks.internals import Forward

DECIMALS = 4
TOP = 3  # each word's most attended words


@dataclass(frozen=True)
class Steps:
    """Every intermediate of one head, as float64 NumPy arrays; seq tokens, d_head dims per head."""

    tokens: list[str]
    x: Any  # (seq, hidden): what the layer's attention reads (GPT-2: after its layer norm ln_1)
    q: Any  # (seq, d_head) queries
    k: Any  # (seq, d_head) keys
    v: Any  # (seq, d_head) values
    scores: Any  # (seq, seq) q @ k.T / sqrt(d_head), -inf above the diagonal when causal
    weights: Any  # (seq, seq) softmax of each row: the attention probabilities
    output: Any  # (seq, d_head) weights @ v: each token's new vector from this head
    model_weights: Any  # (seq, seq) the model's own attention probabilities for this head
    causal: bool


def projections(model: Any, layer: int) -> tuple[Any, list[tuple[Any, Any]]]:
    """(the function that prepares the layer's input, [(W, b)] for query, key, value), W as (hidden, hidden)
    so that Q = X @ W + b. Covers BERT-like (BERT, RoBERTa, MiniLM), DistilBERT and GPT-2 blocks."""
    base = model.base_model

    def linear(module) -> tuple[Any, Any]:  # nn.Linear keeps weight as (out, in): transpose
        return module.weight.detach().double().numpy().T, module.bias.detach().double().numpy()

    if hasattr(base, "encoder") and hasattr(base.encoder, "layer"):
        attn = base.encoder.layer[layer].attention.self
        return (lambda x: x), [linear(attn.query), linear(attn.key), linear(attn.value)]
    if hasattr(base, "transformer") and hasattr(base.transformer, "layer"):
        attn = base.transformer.layer[layer].attention
        return (lambda x: x), [linear(attn.q_lin), linear(attn.k_lin), linear(attn.v_lin)]
    if hasattr(base, "h"):
        block = base.h[layer]
        weight = block.attn.c_attn.weight.detach().double().numpy()  # Conv1D: (in, 3 * hidden), Q|K|V
        bias = block.attn.c_attn.bias.detach().double().numpy()
        hidden = weight.shape[0]
        pairs = [(weight[:, i * hidden:(i + 1) * hidden], bias[i * hidden:(i + 1) * hidden]) for i in range(3)]
        return _layer_norm(block.ln_1), pairs
    raise InputError(f"The from-scratch view knows BERT-, DistilBERT- and GPT-2-style models, not "
                     f"{model.config.model_type}: pick one of those.")


def _layer_norm(module) -> Any:
    # GPT-2 normalises before attention (pre-LN): (x - mean) / sqrt(var + eps) * gamma + beta
    import numpy as np

    gamma, beta = module.weight.detach().double().numpy(), module.bias.detach().double().numpy()

    def apply(x):
        mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + module.eps) * gamma + beta
    return apply


def softmax(scores: Any) -> Any:
    """Row-wise softmax, shifted by each row's max so exp never overflows (exp(-inf) = 0)."""
    import numpy as np

    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def compute(run: Forward, layer: int, head: int) -> Steps:
    """One head of one layer in NumPy, checked against `run`'s own attention probabilities."""
    import numpy as np

    prepare, ((wq, bq), (wk, bk), (wv, bv)) = projections(run.loaded.model, layer)
    x = prepare(run.hidden[layer])  # (seq, hidden): hidden[layer] is the input of layer `layer`
    d_head = x.shape[1] // run.heads
    cols = slice(head * d_head, (head + 1) * d_head)  # this head's slice of the hidden dims
    q, k, v = (x @ w[:, cols] + b[cols] for w, b in ((wq, bq), (wk, bk), (wv, bv)))  # each (seq, d_head)
    scores = q @ k.T / np.sqrt(d_head)  # (seq, seq): how well query i matches key j
    if run.causal:
        scores = np.where(np.triu(np.ones_like(scores, dtype=bool), k=1), -np.inf, scores)
    weights = softmax(scores)
    return Steps(run.tokens, x, q, k, v, scores, weights, weights @ v, run.attentions[layer, head], run.causal)


def _rounded(matrix: Any) -> list:
    import numpy as np

    return np.where(np.isinf(matrix), None, np.round(matrix, DECIMALS)).tolist()  # -inf -> null in JSON


def top_attended(steps: Steps) -> list[dict]:
    """Each token's TOP most attended tokens with their weights."""
    result = []
    for i, row in enumerate(steps.weights):
        best = sorted(range(len(row)), key=lambda j: -row[j])[:TOP]
        result.append({"token": steps.tokens[i],
                       "attends_to": [{"token": steps.tokens[j], "weight": round(float(row[j]), DECIMALS)}
                                      for j in best]})
    return result


def walk_through(text: str, layer: int, head: int, choice: str | None = None,
                 on_progress: ProgressCallback | None = None) -> dict:
    """Q, K, V, scores, softmax and weighted sum of one head, each word's top 3, and the check against the model."""
    import numpy as np

    run = internals.forward(text, choice, on_progress)
    if len(run.tokens) > limits.SCRATCH_TOKENS:
        raise InputError(f"The text is {len(run.tokens)} tokens; the walk-through shows every matrix, so it "
                         f"takes at most {limits.SCRATCH_TOKENS}. Use a short sentence.")
    layer, head = internals.layer_and_head(run, layer, head)
    steps = compute(run, layer, head)
    return {
        "tokens": steps.tokens, "layer": layer, "head": head, "causal": steps.causal, "model_dtype": run.dtype,
        "d_head": steps.q.shape[1], "q": _rounded(steps.q), "k": _rounded(steps.k), "v": _rounded(steps.v),
        "scores": _rounded(steps.scores), "weights": _rounded(steps.weights), "output": _rounded(steps.output),
        "top": top_attended(steps),
        # two significant digits: it is float round-off (about 1e-7), not a value to compare exactly
        "max_abs_difference_from_model": float(f"{np.abs(steps.weights - steps.model_weights).max():.1e}"),
    }


def code(text: str, layer: int, head: int, choice: str | None = None) -> str:
    """Plain transformers + NumPy code that computes the same head and prints the same dict."""
    task = internals.task_of(choice)
    if task == "generate":
        prepare = ("block = model.transformer.h[layer]\n"
                   "x = block.ln_1(hidden)  # GPT-2 normalises before attention\n"
                   "w, b = block.attn.c_attn.weight.double().numpy(), block.attn.c_attn.bias.double().numpy()\n"
                   "d = w.shape[0]  # Conv1D weight: (hidden, 3 * hidden), columns Q | K | V\n"
                   "(wq, bq), (wk, bk), (wv, bv) = [(w[:, i*d:(i+1)*d], b[i*d:(i+1)*d]) for i in range(3)]\n")
    else:
        prepare = ("attn = model.base_model.encoder.layer[layer].attention.self\n"
                   "x = hidden  # BERT: the layer's input as it is\n"
                   "(wq, bq), (wk, bk), (wv, bv) = [(m.weight.double().numpy().T, m.bias.double().numpy())\n"
                   "                                for m in (attn.query, attn.key, attn.value)]\n")
    return (
        "import json\nimport numpy as np\nimport torch\n" + internals.code_header(choice) +
        f"\nlayer, head = {int(layer)}, {int(head)}\n"
        f"inputs = tokenizer({text!r}, return_tensors=\"pt\")\n"
        "with torch.inference_mode():\n"
        "    out = model(**inputs, output_attentions=True, output_hidden_states=True)\n"
        "    hidden = out.hidden_states[layer][0].double()  # (seq, hidden): the input of this layer\n"
        "    model = model.double()\n"
        "    " + prepare.replace("\n", "\n    ").rstrip() + "\n"
        "x = x.numpy()\n"
        "d_head = x.shape[1] // model.config.num_attention_heads\n"
        "cols = slice(head * d_head, (head + 1) * d_head)\n"
        "q, k, v = (x @ w[:, cols] + b[cols] for w, b in ((wq, bq), (wk, bk), (wv, bv)))  # (seq, d_head)\n"
        "scores = q @ k.T / np.sqrt(d_head)  # (seq, seq)\n"
        f"causal = {task == 'generate'}\n"
        "if causal:  # a token may not look ahead\n"
        "    scores = np.where(np.triu(np.ones_like(scores, dtype=bool), k=1), -np.inf, scores)\n"
        "e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
        "weights = e / e.sum(axis=-1, keepdims=True)  # softmax per row\n"
        "output = weights @ v  # (seq, d_head)\n"
        "tokens = tokenizer.convert_ids_to_tokens(inputs[\"input_ids\"][0])\n"
        "r = lambda m: np.where(np.isinf(m), None, np.round(m, 4)).tolist()\n"
        "top = [{\"token\": tokens[i], \"attends_to\": [{\"token\": tokens[j], \"weight\": round(float(row[j]), 4)}\n"
        "        for j in sorted(range(len(row)), key=lambda j: -row[j])[:3]]} for i, row in enumerate(weights)]\n"
        "own = out.attentions[layer][0, head].double().numpy()  # the model's own probabilities\n"
        "print(json.dumps({\"tokens\": tokens, \"layer\": layer, \"head\": head, \"causal\": causal,\n"
        "                  \"model_dtype\": \"float32\","
        "                  \"d_head\": d_head, \"q\": r(q), \"k\": r(k), \"v\": r(v), \"scores\": r(scores),\n"
        "                  \"weights\": r(weights), \"output\": r(output), \"top\": top,\n"
        "                  \"max_abs_difference_from_model\": float(f\"{np.abs(weights - own).max():.1e}\")}))\n"
    )
