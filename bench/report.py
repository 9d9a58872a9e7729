"""The benchmark's verdict: each target as a ratio from one run, printed as a table and written as JSON."""

from __future__ import annotations

import json
import operator
from pathlib import Path

# (metric key, section, figure inside the section, comparison, target, what the ratio is)
TARGETS = (
    ("overhead", "overhead", "ratio", "<=", 1.15, "median /sentiment over HTTP / bare in-process pipeline call"),
    ("overhead_sessionless", "overhead", "ratio_sessionless", "<=", 1.15,
     "the same, each call starting a new session (curl, /call API, many scripts)"),
    ("many_users", "many_users", "ratio", ">=", 3.0, f"/sentiment req/s with {16} clients: app / plain gr.Interface"),
    ("many_users_tail", "many_users", "app_p99_over_p50", "<=", 2.0, "app latency p99 / p50 under those clients"),
    ("many_users_sessionless", "many_users_sessionless", "ratio", ">=", 3.0,
     "the same, each call starting a new session, on both servers"),
    ("many_users_sessionless_tail", "many_users_sessionless", "app_p99_over_p50", "<=", 2.0,
     "app latency p99 / p50 under those clients"),
    ("cold_start", "cold_start", "ratio", "<=", 1.5, "python app.py to first HTTP 200 / python -c 'import gradio'"),
    ("first_token", "streaming", "first_over_total", "<=", 0.1, "time to first token / total, 64 new tokens"),
    ("streaming_cost", "streaming", "streamed_over_plain", "<=", 1.05, "streamed total / plain generate"),
    ("decoding", "decoding", "ratio", ">=", 2.0, "GPT-2 small tokens/s as served / plain fp32 generate"),
    ("memory", "memory", "ratio", "<=", 1.3, "peak RSS after every tab / (baseline + torch code + distinct weights)"),
)
COMPARE = {"<=": operator.le, ">=": operator.ge}


def verdicts(results: dict) -> list[dict]:
    """One row per target: the measured figure and whether it meets the target."""
    rows = []
    for key, section, figure, op, target, what in TARGETS:
        value = results.get(section, {}).get(figure)
        met = None if value is None else COMPARE[op](value, target)
        if key == "decoding" and not results.get(section, {}).get("faster_path_applied", True):
            met = False  # nothing faster was served on this CPU: a ratio above 1 is noise, not a speed-up
        rows.append({"metric": key, "what": what, "value": value, "target": f"{op} {target}", "met": met,
                     "load": [results.get(section, {}).get("load_before"), results.get(section, {}).get("load_after")]})
    return rows


def table(rows: list[dict], results: dict) -> str:
    """A Markdown table of the verdicts, then the checks that are not ratios."""
    cpu = results.get("machine", {})
    lines = [f"CPU: {cpu.get('cpu_model')} ({cpu.get('cpu_kind')}; {', '.join(cpu.get('cpu_flags', []))}), "
             f"{cpu.get('cores')} threads; PLAYGROUND_DTYPE={cpu.get('playground_dtype')}, "
             f"served dtype: {results.get('decoding', {}).get('served_dtype')}", "",
             "| metric | measured | target | met | load (before, after) | what |", "|---|---|---|---|---|---|"]
    for row in rows:
        met = {True: "yes", False: "NO", None: "not measured"}[row["met"]]
        load = ", ".join("?" if v is None else f"{v:.1f}" for v in row["load"])
        lines.append(f"| {row['metric']} | {row['value']} | {row['target']} | {met} | {load} | {row['what']} |")
    lines += ["", *checks(results)]
    return "\n".join(lines)


def checks(results: dict) -> list[str]:
    """The correctness checks that come with the timings."""
    out = []
    if "overhead" in results:
        overhead = results["overhead"]
        out.append(f"- app answer = bare pipeline answer (with and without a session): "
                   f"{overhead['same_answer_as_bare_pipeline']}")
    for section in ("many_users", "many_users_sessionless"):
        if section in results:
            checked = results[section]
            out.append(f"- {section}: batched answers that differ from one-at-a-time answers by more than "
                       f"{checked['tolerance']:.4f}: {checked['answers_differing_from_single_requests']} "
                       f"(largest difference {checked['largest_difference_from_single_requests']:.2g})")
    if "streaming" in results:
        out.append(f"- streamed text = plain generate text: {results['streaming']['same_text_as_plain_generate']}")
    if "decoding" in results:
        check = results["decoding"]["greedy_check"]
        if not results["decoding"]["faster_path_applied"]:
            out.append("- decoding: no faster path on this CPU (no native bf16), so the app serves the plain "
                       "fp32 model and the decoding ratio measures only noise: not met")
        out.append(f"- served dtype {results['decoding']['served_dtype']}: identical greedy tokens on "
                   f"{check['identical']}/{check['prompts']} prompts x {check['new_tokens']} tokens "
                   f"(agreeing before first difference: {check['tokens_agreeing_before_first_difference']}); "
                   f"bandwidth floor: {results['decoding']['floor_tokens_per_second']} tokens/s")
    if "memory" in results:
        memory = results["memory"]
        out.append(f"- memory: peak {memory['peak_rss'] >> 20} MB; baseline app {memory['baseline_rss'] >> 20} MB, "
                   f"torch/transformers code {memory['library_rss'] >> 20} MB, distinct weights "
                   f"{memory['distinct_weight_bytes'] >> 20} MB; without counting the code: "
                   f"{memory['ratio_without_libraries']}")
        out.append(f"- checkpoint shared by several tabs loaded once: {memory['shared_loaded_once']} "
                   f"({ {k: v['endpoints'] for k, v in memory['shared'].items()} })")
    if "lru" in results:
        out.append(f"- LRU budget evicts the least recently used model: {results['lru']['evicts_least_recently_used']}")
    return out


def write(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
