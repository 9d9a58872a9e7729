"""Measurements in this process, on the app's own loader: decoding speed, weights in memory, LRU eviction."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import config
from bench import stats

NOMINAL_BANDWIDTH = 25e9  # bytes/s: this machine class's memory bandwidth (shared/NOTES.md)
CHECK_PROMPTS = (
    "The key idea of attention is", "Once upon a time, a small robot", "In 1905, Albert Einstein",
    "The recipe needs three eggs and", "Dear customer, we regret to inform you", "def fibonacci(n):",
    "The stock market fell sharply today as", "My favourite season is autumn because",
)


def app_cli(folders: dict[str, Path]) -> list[str]:
    """The app's command-line options: the offline pack, with the benchmark's models pinned."""
    return ["--models", "offline"] + [arg for task, path in folders.items() for arg in ("--model", f"{task}={path}")]


def use_app_settings(folders: dict[str, Path], **changes) -> config.Settings:
    """Put this process on the settings the app runs with (same CLI), so its loader loads the same way."""
    settings = config.load_settings(app_cli(folders))
    if changes:
        settings = config.Settings(**{**settings.__dict__, **changes})
    config.use(settings)
    return settings


# ---- 5. decoding --------------------------------------------------------------------------------

def decoding(folder: Path, rounds: int, new_tokens: int, check_prompts: int, check_tokens: int) -> dict:
    """GPT-2 tokens/s as the app serves it vs plain fp32 `model.generate`, greedy, with a token check."""
    from transformers import AutoModelForCausalLM

    from models import loader

    served = loader.get("generate")
    plain = AutoModelForCausalLM.from_pretrained(folder).eval()  # fp32: what plain transformers code does
    tokenizer = served.tokenizer
    inputs = tokenizer(CHECK_PROMPTS[0], return_tensors="pt")
    for model in (plain, served.model):  # warm-up, unmeasured
        _greedy(model, tokenizer, inputs, 4)
    plain_rates, served_rates = [], []
    for round_index in range(rounds):
        pairs = [(plain, plain_rates), (served.model, served_rates)]
        for model, rates in pairs if round_index % 2 == 0 else pairs[::-1]:  # neither side always first
            start = time.perf_counter()
            count = len(_greedy(model, tokenizer, inputs, new_tokens))
            rates.append(count / (time.perf_counter() - start))
    check = _same_greedy_tokens(plain, served.model, tokenizer, CHECK_PROMPTS[:check_prompts], check_tokens)
    bandwidth = memory_bandwidth()
    served_dtype = str(next(served.model.parameters()).dtype).removeprefix("torch.")
    return {
        "served_dtype": served_dtype,
        # float32 served: the same computation as plain, so the ratio can only be noise.
        "faster_path_applied": served_dtype != "float32",
        "plain_tokens_per_second": stats.summary(plain_rates),
        "served_tokens_per_second": stats.summary(served_rates),
        "ratio": stats.ratio(statistics.median(served_rates), statistics.median(plain_rates)),
        "greedy_check": check,
        "weight_bytes_per_token": {"plain": _nbytes(plain), "served": served.nbytes},
        "measured_bandwidth_bytes_per_second": bandwidth,
        "floor_tokens_per_second": {  # an upper bound: every weight read once per token, nothing else
            "plain_at_25GBps": round(NOMINAL_BANDWIDTH / _nbytes(plain), 1),
            "served_at_25GBps": round(NOMINAL_BANDWIDTH / served.nbytes, 1),
            "served_at_measured": round(bandwidth / served.nbytes, 1),
        },
    }


def _greedy(model, tokenizer, inputs, new_tokens: int) -> list[int]:
    import torch

    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=new_tokens, do_sample=False,
                             pad_token_id=tokenizer.eos_token_id)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


def _same_greedy_tokens(plain, served, tokenizer, prompts, new_tokens: int) -> dict:
    """How many prompts give the very same greedy tokens, and how far the others agree."""
    agree = []
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt")
        a, b = _greedy(plain, tokenizer, inputs, new_tokens), _greedy(served, tokenizer, inputs, new_tokens)
        agree.append(next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b))))
    return {"prompts": len(prompts), "new_tokens": new_tokens,
            "identical": sum(n == new_tokens for n in agree), "tokens_agreeing_before_first_difference": agree}


def _nbytes(model) -> int:
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


def memory_bandwidth(megabytes: int = 256, repeats: int = 5) -> float:
    """Bytes/s of a large tensor copy (each byte read once and written once), best of `repeats`."""
    import torch

    source = torch.ones(megabytes << 18)  # float32: megabytes MB
    target = torch.empty_like(source)
    best = min(stats.timed(lambda: target.copy_(source)) for _ in range(repeats))
    return round(2 * source.numel() * 4 / best)


# ---- 6. memory: distinct weights, shared checkpoints, eviction ----------------------------------

def weights_in_memory(steps: list[dict]) -> dict:
    """For the endpoints the app ran: each distinct checkpoint, its bytes as the loader holds them,
    and whether a later endpoint on an already loaded checkpoint grew the app's RSS by less than half of it."""
    from models import loader

    checkpoints: dict[str, dict] = {}
    previous_rss = None
    for step in steps:
        growth = None if previous_rss is None else step["rss"] - previous_rss
        previous_rss = step["rss"]
        if step["task"] is None:
            continue
        loaded = loader.get(step["task"])
        entry = checkpoints.setdefault(loaded.resolved.location, {"bytes": loaded.nbytes, "endpoints": [],
                                                                  "rss_growth_on_reuse": []})
        if entry["endpoints"] and growth is not None:
            entry["rss_growth_on_reuse"].append(growth)
        entry["endpoints"].append(step["api_name"])
    shared = {k: v for k, v in checkpoints.items() if len(v["endpoints"]) > 1}
    return {"checkpoints": checkpoints, "distinct_weight_bytes": sum(v["bytes"] for v in checkpoints.values()),
            "shared": shared,
            "shared_loaded_once": all(g < v["bytes"] / 2 for v in shared.values() for g in v["rss_growth_on_reuse"])}


def lru_eviction(folders: dict[str, Path]) -> dict:
    """With a budget that holds only one of the two big models, loading the other evicts the first."""
    from models import loader

    loader.clear()
    sizes = {task: loader.get(task).nbytes for task in ("sentiment", "generate")}
    budget_mb = (max(sizes.values()) + min(sizes.values()) // 2) >> 20
    use_app_settings(folders, memory_budget_mb=budget_mb)
    loader.clear()
    sequence = []
    for task in ("sentiment", "generate", "sentiment"):
        loader.get(task)
        sequence.append([location for location, _ in loader.in_memory()])
    use_app_settings(folders)
    expected = [[str(folders["sentiment"])], [str(folders["generate"])], [str(folders["sentiment"])]]
    return {"budget_mb": budget_mb, "model_bytes": sizes, "in_memory_after_each_load": sequence,
            "evicts_least_recently_used": sequence == expected}
