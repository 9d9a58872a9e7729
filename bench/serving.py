"""Measurements over HTTP: per-request overhead, many users, cold start, streaming, the app's memory."""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import processes, stats
from bench.processes import Server
from tests.support.launching import free_port
from tests.support.wire import RawClient

TEXT = "A gripping, funny and warm film: the cast is wonderful and the ending made me smile."
PROMPT = "The key idea of attention is"
NEW_TOKENS = 64
CLIENTS = 16
# Clauses of movie reviews, joined 1 to 8 at a time: the many-users texts vary in length (7 to ~110
# tokens), as real traffic does, which is what length-aware batching is for.
CLAUSES = (
    "the plot never quite comes together", "I loved every minute of it", "the acting is wooden",
    "a beautiful score carries the quiet scenes", "the second half drags badly",
    "it is the funniest film I have seen this year", "the dialogue feels forced and the jokes fall flat",
    "a warm, generous and surprising story about a family that refuses to give up",
    "the camera work is stunning", "nobody in the cast seems to care", "the ending made me cry",
    "an hour too long", "the director trusts the audience", "it looks cheap and sounds worse",
)


@dataclass
class Servers:
    """The two servers the HTTP measurements compare."""

    app: Server
    peer: Server


def review_texts(count: int, seed: int = 0) -> list[str]:
    """`count` reviews of 1 to 8 clauses, the same every run."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        clauses = rng.sample(CLAUSES, rng.randint(1, 8))
        texts.append((", ".join(clauses) + ".").capitalize())
    return texts


def confidences(label_value: dict) -> dict[str, float]:
    """gr.Label's value as {label: probability}."""
    return {c["label"]: c["confidence"] for c in label_value["confidences"]}


def same_scores(a: dict[str, float], b: dict[str, float], tolerance: float) -> bool:
    return a.keys() == b.keys() and score_difference(a, b) <= tolerance


def score_difference(a: dict[str, float], b: dict[str, float]) -> float:
    """The largest difference between two answers' probabilities (infinite when their labels differ)."""
    return max(abs(a[k] - b[k]) for k in a) if a.keys() == b.keys() else float("inf")


def batch_tolerance(dtype: str) -> float:
    """How far a batched answer may differ from the same text sent alone. In float32, rounding only (1e-3 is
    generous). In bfloat16, the CPU's matrix kernels round differently for one row and for a batch (measured:
    the same text alone and sixteen times in one batch differ by up to 1.4e-3 in DistilBERT's probabilities), so
    the bound is one bf16 step (2**-8 = 0.0039); a text handed another's answer differs by far more."""
    return 1e-3 if dtype == "float32" else 2**-8


# ---- 1. overhead -------------------------------------------------------------------------------

def overhead(servers: Servers, folder: Path, rounds: int, per_round: int) -> dict:
    """Median /sentiment request over HTTP vs a bare in-process pipeline call, same model and text: from a client
    that keeps its session (a page left open, a gradio_client Client) and from one that starts a new session with
    every call (curl, gradio's /call API, many scripts), interleaved with the bare calls."""
    from transformers import pipeline

    bare = pipeline("text-classification", model=str(folder))
    clients = {"session": RawClient(servers.app.url, keep_session=True), "sessionless": RawClient(servers.app.url)}
    for _ in range(3):  # warm both: the app loads its model on the first request
        replies = {mode: client.call("sentiment", TEXT, check=True) for mode, client in clients.items()}
        expected = {s["label"]: s["score"] for s in bare(TEXT, top_k=None)}
    times: dict[str, list[float]] = {"session": [], "sessionless": [], "bare": []}
    round_ratios: dict[str, list[float]] = {"session": [], "sessionless": []}
    for _ in range(rounds):
        this_round: dict[str, list[float]] = {mode: [] for mode in times}
        for _ in range(per_round):  # interleaved, one of each at a time
            for mode, client in clients.items():
                this_round[mode].append(client.call("sentiment", TEXT, check=True).seconds)
            this_round["bare"].append(stats.timed(lambda: bare(TEXT, top_k=None)))
        for mode in round_ratios:
            round_ratios[mode].append(stats.ratio(statistics.median(this_round[mode]),
                                                  statistics.median(this_round["bare"])))
        for mode, values in this_round.items():
            times[mode] += values
    for client in clients.values():
        client.close()
    bare_median = statistics.median(times["bare"])
    return {"app_seconds": stats.summary(times["session"]), "bare_pipeline_seconds": stats.summary(times["bare"]),
            "ratio": stats.ratio(statistics.median(times["session"]), bare_median),
            "round_ratios": round_ratios["session"],
            "app_seconds_sessionless": stats.summary(times["sessionless"]),
            "ratio_sessionless": stats.ratio(statistics.median(times["sessionless"]), bare_median),
            "round_ratios_sessionless": round_ratios["sessionless"],
            "same_answer_as_bare_pipeline": all(same_scores(confidences(reply.data[0]), expected, 1e-3)
                                                for reply in replies.values())}


# ---- 2. many users ------------------------------------------------------------------------------

def many_users(servers: Servers, rounds: int, per_client: int, dtype: str, keep_session: bool = True) -> dict:
    """/sentiment throughput and latency with CLIENTS concurrent clients: this app vs the peer.

    Each side gets CLIENTS users, each warmed by one untimed call; then every round, all of them send their
    requests at once. With keep_session, each user keeps its session (a page left open, a gradio_client Client);
    without, every call starts a new one (curl, gradio's /call API, many scripts). `dtype` is the app's sentiment
    model's: it sets how far a batched answer may differ from the answer alone (batch_tolerance).
    """
    texts = review_texts(CLIENTS * per_client)
    users = {"app": _users(servers.app.url, texts, keep_session), "peer": _users(servers.peer.url, texts, keep_session)}
    single = _answers_one_at_a_time(servers.app.url, texts)
    throughput = {"app": [], "peer": []}
    latencies = {"app": [], "peer": []}
    differences: list[float] = []
    try:
        for round_index in range(rounds):
            for side in ("app", "peer") if round_index % 2 == 0 else ("peer", "app"):
                wall, timings, replies = _load(users[side], texts, per_client)
                throughput[side].append(len(texts) / wall)
                latencies[side] += timings
                if side == "app":  # batching must hand every client the answer to its own text
                    differences += [score_difference(confidences(replies[t]), single[t]) for t in replies]
    finally:
        for client in users["app"] + users["peer"]:
            client.close()
    app_p50, app_p99 = stats.percentile(latencies["app"], 50), stats.percentile(latencies["app"], 99)
    return {
        "clients": CLIENTS, "requests_per_round": len(texts), "keep_session": keep_session,
        "app_requests_per_second": stats.summary(throughput["app"]),
        "peer_requests_per_second": stats.summary(throughput["peer"]),
        "ratio": stats.ratio(statistics.median(throughput["app"]), statistics.median(throughput["peer"])),
        "app_latency_seconds": stats.summary(latencies["app"]),
        "peer_latency_seconds": stats.summary(latencies["peer"]),
        "app_p50": round(app_p50, 4), "app_p99": round(app_p99, 4),
        "app_p99_over_p50": stats.ratio(app_p99, app_p50),
        "tolerance": batch_tolerance(dtype),
        "answers_differing_from_single_requests": sum(d > batch_tolerance(dtype) for d in differences),
        "largest_difference_from_single_requests": max(differences, default=0.0),
    }


def _users(url: str, texts: list[str], keep_session: bool) -> list[RawClient]:
    """CLIENTS clients of one server, each warmed by one call (which starts its session, if it keeps one)."""
    clients = [RawClient(url, keep_session=keep_session) for _ in range(CLIENTS)]
    for client, text in zip(clients, texts):
        client.call("sentiment", text, check=True)
    return clients


def _answers_one_at_a_time(url: str, texts: list[str]) -> dict[str, dict]:
    client = RawClient(url, keep_session=True)
    try:
        return {text: confidences(client.call("sentiment", text, check=True).data[0]) for text in set(texts)}
    finally:
        client.close()


def _load(clients: list[RawClient], texts: list[str], per_client: int) -> tuple[float, list[float], dict]:
    """Every client sends its share of `texts` one after the other; all clients at once."""
    barrier = threading.Barrier(len(clients) + 1)
    timings: list[float] = []
    replies: dict[str, dict] = {}
    failures: list[BaseException] = []

    def client_loop(index: int) -> None:
        barrier.wait()
        try:
            for text in texts[index * per_client:(index + 1) * per_client]:
                reply = clients[index].call("sentiment", text, check=True)
                timings.append(reply.seconds)
                replies[text] = reply.data[0]
        except BaseException as exc:  # reported after the round: a failed request is a failed benchmark
            failures.append(exc)

    with ThreadPoolExecutor(len(clients)) as pool:
        loops = [pool.submit(client_loop, i) for i in range(len(clients))]
        barrier.wait()
        start = time.perf_counter()
        for loop in loops:
            loop.result()
    wall = time.perf_counter() - start
    if failures:
        raise failures[0]
    return wall, timings, replies


# ---- 3. cold start -------------------------------------------------------------------------------

def cold_start(app_args: list[str], rounds: int, log: Path, warm_up: bool = True) -> tuple[dict, Server]:
    """`python app.py` to its first HTTP 200 vs `python -c "import gradio"`, interleaved.

    Returns the measurement and the last app started, still running and not yet called.
    """
    def import_gradio() -> float:
        return stats.timed(lambda: subprocess.run([sys.executable, "-c", "import gradio"], check=True,
                                                  env=processes.child_env(), cwd=processes.ROOT))

    if warm_up:  # warm the file cache, unmeasured
        import_gradio()
        _start_app(app_args, log).stop()
    app_times, import_times, server = [], [], None
    for _ in range(rounds):
        if server is not None:
            server.stop()
        import_times.append(import_gradio())
        server = _start_app(app_args, log)
        app_times.append(server.seconds_to_200)
    return ({"app_seconds_to_200": stats.summary(app_times), "import_gradio_seconds": stats.summary(import_times),
             "ratio": stats.ratio(statistics.median(app_times), statistics.median(import_times))}, server)


def _start_app(app_args: list[str], log: Path) -> Server:
    port = free_port()
    return processes.start(["app.py", "--port", str(port), *app_args], port, log)


# ---- 4. streaming --------------------------------------------------------------------------------

def streaming(app: Server, loaded, rounds: int) -> dict:
    """Time to first token and total for NEW_TOKENS streamed tokens, vs the same generate not streamed.

    `loaded` is the model the app serves, loaded in this process by the app's own loader.
    """
    import torch

    args = [PROMPT, NEW_TOKENS, 1.0, 50, 1.0, False, 1, 0]
    inputs = loaded.tokenizer(PROMPT, return_tensors="pt")

    def bare() -> str:
        with torch.inference_mode():
            out = loaded.model.generate(**inputs, max_new_tokens=NEW_TOKENS, do_sample=False,
                                        pad_token_id=loaded.tokenizer.eos_token_id)
        return PROMPT + loaded.tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)

    client = RawClient(app.url, keep_session=True)
    client.call("generate", *args, check=True)  # warm: the app loads its model on first use
    expected = bare()
    first, total, plain = [], [], []
    same_text = True
    for _ in range(rounds):
        reply = client.call("generate", *args, check=True)
        first.append(next(t for t, data in reply.updates if data[0] != PROMPT))
        total.append(reply.seconds)
        same_text = same_text and reply.data[0] == expected
        plain.append(stats.timed(bare))
    client.close()
    return {"new_tokens": NEW_TOKENS, "first_token_seconds": stats.summary(first),
            "streamed_total_seconds": stats.summary(total), "plain_generate_seconds": stats.summary(plain),
            "first_over_total": stats.ratio(statistics.median(first), statistics.median(total)),
            "streamed_over_plain": stats.ratio(statistics.median(total), statistics.median(plain)),
            "same_text_as_plain_generate": same_text}


# ---- 6. memory of the app process ---------------------------------------------------------------

# One example call per endpoint of docs/api.md (inputs in its order), and the registry task behind it.
EXAMPLE_CALLS = {
    "sentiment": (["What a wonderful film."], "sentiment"),
    "ner": (["Angela Merkel visited Paris."], "ner"),
    "zero_shot": (["The striker scored twice.", "sport, cooking", False], "zero_shot"),
    "fill_mask": (["Paris is the [MASK] of France.", 5], "fill_mask"),
    "generate": (["Once upon a time", 16, 1.0, 50, 1.0, False, 1, 0], "generate"),
    "qa": (["Where is the tower?", "The tower stands in Paris, by the river.", 1], "qa"),
    "summarize": (["The council met on Monday. It voted to build a new library by the river. Work starts "
                   "in May and should end next year.", 20, 5, 2], "summarize"),
    "translate": (["The house is small.", "German"], "translate"),
    "tokenize": (["Hello world, tokens!", "gpt2"], None),
    "attention": (["The cat sat on the mat.", 0, 0], "encoder"),
    "compare_word": (["I sat by the river bank.", "I paid at the bank.", "bank"], "encoder"),
    "positional_encoding": ([32, 64], None),
}


def app_memory(app: Server) -> dict:
    """RSS of a freshly started app, then after one call of every endpoint it has (in EXAMPLE_CALLS)."""
    time.sleep(0.5)  # let start-up settle
    baseline, _ = processes.rss_bytes(app.pid)
    client = RawClient(app.url, keep_session=True)
    named = client.endpoints
    steps, failed = [], {}
    for api_name, (given, task) in EXAMPLE_CALLS.items():
        if f"/{api_name}" not in named:
            continue
        outcome = client.call(api_name, *given)
        if not outcome.ok:
            failed[api_name] = f"/{api_name}: {outcome.error}"[:200]
        steps.append({"api_name": api_name, "task": task, "rss": processes.rss_bytes(app.pid)[0]})
    client.close()
    _, peak = processes.rss_bytes(app.pid)
    return {"baseline_rss": baseline, "peak_rss": peak, "steps": steps, "failed": failed,
            "not_in_app": sorted(set(EXAMPLE_CALLS) - {n.lstrip("/") for n in named})}


RSS_OF_SELF = ("next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmRSS'))")
LIBRARIES = "import torch, transformers, matplotlib.pyplot; from transformers import pipeline, AutoModel"


def library_rss() -> int:
    """RSS that importing torch, transformers and matplotlib adds to a process that imported gradio:
    code, not weights, which the app loads on first use instead of at start."""
    script = f"import gradio\nbefore = {RSS_OF_SELF}\n{LIBRARIES}\nprint({RSS_OF_SELF} - before)"
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                          env=processes.child_env(), cwd=processes.ROOT)
    return int(done.stdout.split()[-1])
