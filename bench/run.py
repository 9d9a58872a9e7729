"""Runs the whole benchmark: this app beside the plain gradio demo and bare transformers, on loopback.

`python -m bench` (about 5-10 minutes on 2 cores) or `python -m bench --quick` (tiny models, one round,
well under a minute: the CI smoke mode; its figures say nothing about speed). Prints a Markdown table and
writes JSON (default: bench/results/<time>.json). Timings are ratios measured interleaved in one run,
because other work on the machine moves absolute numbers; the load average is recorded beside each.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import fixtures, inprocess, processes, report, serving, stats
from tests.support.launching import free_port

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny models, one round: a smoke test")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3; quick: 1)")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    return parser.parse_args(argv)


def plan(args: argparse.Namespace) -> dict:
    """How many of everything: the full run, or the smoke run's minimum."""
    rounds = args.rounds or (1 if args.quick else 3)
    if args.quick:
        return {"rounds": rounds, "overhead_per_round": 3, "per_client": 1, "decode_tokens": 16,
                "check_prompts": 2, "check_tokens": 8}
    return {"rounds": rounds, "overhead_per_round": 10, "per_client": 4, "decode_tokens": 64,
            "check_prompts": len(inprocess.CHECK_PROMPTS), "check_tokens": 24}


def machine() -> dict:
    """What the figures were measured on: the CPU (model, the flags that choose the app's paths), the dtype setting."""
    import torch

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    flags = next((line.partition(":")[2].split() for line in cpuinfo if line.startswith("flags")), [])
    model = next((line.partition(":")[2].strip() for line in cpuinfo if line.startswith("model name")),
                 platform.processor())
    wanted = ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni")
    kind = ("AMX" if "amx_bf16" in flags else "AVX512-BF16" if "avx512_bf16" in flags else "no native bf16")
    return {"python": platform.python_version(), "torch": torch.__version__, "cores": torch.get_num_threads(),
            "cpu_model": model, "cpu_kind": kind, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu_flags": [f for f in wanted if f in flags], "cpu_flags_all": " ".join(flags),
            # The app's dtype path: PLAYGROUND_DTYPE=float32 forces the no-bf16 path on any CPU.
            "playground_dtype": os.environ.get("PLAYGROUND_DTYPE", "auto"),
            "playground_cpu_bf16": os.environ.get("PLAYGROUND_CPU_BF16", "detected"),
            "uptime": _uptime()}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = plan(args)
    os.environ.update(processes.child_env())  # offline and quiet here too, before torch and transformers load
    begin = time.perf_counter()
    results: dict = {"quick": args.quick, "plan": sizes, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="playground-bench-") as tmp:
        work = Path(tmp)
        _say(f"building {'tiny' if args.quick else 'real-shape'} models")
        folders = fixtures.build(work / "models", args.quick)
        inprocess.use_app_settings(folders)
        _measure_app(results, folders, sizes, work, warm_up=not args.quick)
        _say("decoding")
        results["decoding"] = stats.with_load(lambda: inprocess.decoding(
            folders["generate"], sizes["rounds"], sizes["decode_tokens"], sizes["check_prompts"],
            sizes["check_tokens"]))
        _say("LRU eviction")
        results["lru"] = inprocess.lru_eviction(folders)
    results["seconds"] = round(time.perf_counter() - begin, 1)
    results["machine"]["uptime_at_end"] = _uptime()
    results["verdicts"] = report.verdicts(results)
    out = args.out or RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    report.write(results, out)
    print(report.table(results["verdicts"], results))
    print(f"\nstart: {results['machine']['uptime']}\nend:   {results['machine']['uptime_at_end']}\n"
          f"written: {out} ({results['seconds']} s)")
    return 0


def _measure_app(results: dict, folders: dict, sizes: dict, work: Path, warm_up: bool) -> None:
    """Cold start, then on the last app started: memory (every tab once), then the serving measurements."""
    app_args = inprocess.app_cli(folders)
    _say("cold start")
    holder = {}

    def cold() -> dict:
        measured, holder["app"] = serving.cold_start(app_args, sizes["rounds"], work / "app.log", warm_up)
        return measured

    results["cold_start"] = stats.with_load(cold)
    app = holder["app"]
    try:
        _say("memory (every tab, once)")
        results["memory"] = stats.with_load(lambda: _memory(app))
        _measure_serving(results, app, folders, sizes, work)
    finally:
        app.stop()


def _memory(server: processes.Server) -> dict:
    app = serving.app_memory(server)
    weights = inprocess.weights_in_memory(app["steps"])
    libraries = serving.library_rss()
    denominator = app["baseline_rss"] + libraries + weights["distinct_weight_bytes"]
    return {**app, **weights, "library_rss": libraries, "ratio": stats.ratio(app["peak_rss"], denominator),
            "ratio_without_libraries": stats.ratio(app["peak_rss"], denominator - libraries)}


def _measure_serving(results: dict, app: processes.Server, folders: dict, sizes: dict, work: Path) -> None:
    from models import loader  # after the app's settings are in place

    _say("starting the peer")
    peer_port = free_port()
    peer = processes.start(["bench/peer_interface.py", "--model", str(folders["sentiment"]),
                            "--port", str(peer_port)], peer_port, work / "peer.log")
    try:
        servers = serving.Servers(app, peer)
        dtype = loader.resolve("sentiment").dtype  # the app's, under the same settings
        _say("overhead")
        results["overhead"] = stats.with_load(lambda: serving.overhead(
            servers, folders["sentiment"], sizes["rounds"], sizes["overhead_per_round"]))
        _say("many users, each keeping a session")
        results["many_users"] = stats.with_load(lambda: serving.many_users(servers, sizes["rounds"],
                                                                           sizes["per_client"], dtype))
        _say("many users, a new session every call")
        results["many_users_sessionless"] = stats.with_load(lambda: serving.many_users(
            servers, sizes["rounds"], sizes["per_client"], dtype, keep_session=False))
        _say("streaming")
        results["streaming"] = stats.with_load(lambda: serving.streaming(app, loader.get("generate"),
                                                                         sizes["rounds"]))
    finally:
        peer.stop()


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _say(what: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')} load {stats.load()}] {what}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
