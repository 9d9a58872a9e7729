"""`python -m bench.why [--pack-only] [--repeat N]`: what each view of the Why? tab costs.

On the offline pack (the models the tests use), then on real-shape random models: distilbert-base (sentiment),
gpt2 small (generation), bert-base (encoder) and t5-small (translation), pinned with --model as an operator would.
Each view runs once to load its model, then `repeat` times; the median is reported for the model's work alone
(the model layer) and with what the tab draws (figure, highlighted text or bertviz page). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import fixtures, processes, stats

SLOW = "The service was slow and the staff were rude."
PROMPT = "The capital of France is"
SENTENCES = "\n".join(["I loved this film.", "What a wonderful movie.", "The acting was superb.",
                       "The stock market fell today.", "Shares dropped sharply after the report.",
                       "My cat sleeps all day.", "The dog chased the ball."])


def quiet(*args, **kwargs) -> None:
    """A progress bar that shows nothing (the views report progress to the tab's)."""


def views() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    """(what, the model layer's call, the tab's handler) for each view, on its tab's default inputs."""
    from models.tasks import (
        attribution,
        cross_attention,
        embedding_projection,
        head_ablation,
        logit_lens,
        neuron_view,
        sampling_distribution,
    )
    from tabs import why

    def both(model_call: Callable, handler: Callable, *args) -> tuple[Callable, Callable]:
        return (lambda: model_call(*args)), (lambda: handler(*args, progress=quiet))

    return [
        ("/attribution: integrated gradients, 32 steps, sentiment",
         *both(attribution.explain, why.attribute, SLOW, "sentiment", "", "integrated_gradients", 32, "")),
        ("/attribution: integrated gradients, 32 steps, next token",
         *both(attribution.explain, why.attribute, PROMPT, "generate", "", "integrated_gradients", 32, "")),
        ("/attribution: gradient × input, sentiment",
         *both(attribution.explain, why.attribute, SLOW, "sentiment", "", "gradient_x_input", 32, "")),
        ("/ablate_heads: sentiment (2 heads, then every head alone)",
         *both(head_ablation.ablate, why.ablate, SLOW, "0.1, 2.3", "sentiment", "")),
        ("/ablate_heads: next token", *both(head_ablation.ablate, why.ablate, PROMPT, "0.1", "generate", "")),
        ("/logit_lens", *both(logit_lens.lens, why.lens, PROMPT, None)),
        ("/sampling_distribution", *both(sampling_distribution.distribution, why.sample, PROMPT, 0.7, 50, 0.9,
                                         None)),
        ("/cross_attention: 48 new tokens", *both(cross_attention.attend, why.cross, "The house is wonderful.",
                                                  "German", 0, 0, 48, None)),
        ("/neuron_view", *both(neuron_view.neuron, why.neurons, "The cat sat on the mat.", 0, 0, None)),
        ("/embedding_projection: 7 sentences", *both(embedding_projection.project, why.project, SENTENCES, -1,
                                                     None)),
    ]


def median_seconds(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock seconds of `repeat` calls, and median CPU seconds of this process (all its threads):
    on a shared machine the second says what a call costs, the first how long it took this time."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return statistics.median(wall), statistics.median(cpu)


def measure(repeat: int) -> list[tuple]:
    """(what, first call with loading, model layer (wall, CPU), with the tab's drawing (wall)) for every view."""
    rows = []
    for what, model_call, handler in views():
        started = time.perf_counter()
        model_call()  # loads the model (and imports) once
        first = time.perf_counter() - started
        rows.append((what, first, *median_seconds(model_call, repeat), median_seconds(handler, repeat)[0]))
        print(f"[bench.why load {stats.load()}] {what}: {rows[-1][2]:.2f} s", flush=True)
    return rows


def build_real_shapes(folder: Path) -> dict[str, Path]:
    """task -> a save_pretrained folder of random weights in the real default checkpoints' shapes."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel, T5Config, T5ForConditionalGeneration

    from models.offline import entry_path, tiny

    folders = fixtures.build(folder, quick=False)  # distilbert-base SST-2 and gpt2 small, as `python -m bench`
    torch.manual_seed(0)
    encoder = folder / "bert-base"
    BertModel(BertConfig()).save_pretrained(encoder)  # BertConfig's defaults are bert-base-uncased's shape
    tiny.bert_uncased_tokenizer().save_pretrained(encoder)
    translator = folder / "t5-small"
    # t5-small's shape with the pack's T5 config (task prefixes) and SentencePiece tokenizer.
    config = T5Config.from_pretrained(entry_path("tiny-t5"))
    config.update({"d_model": 512, "d_ff": 2048, "d_kv": 64, "num_layers": 6, "num_decoder_layers": 6,
                   "num_heads": 8, "vocab_size": 32128})
    T5ForConditionalGeneration(config).save_pretrained(translator)
    AutoTokenizer.from_pretrained(entry_path("tiny-t5")).save_pretrained(translator)
    return {**folders, "encoder": encoder, "translate": translator}


def table(title: str, rows: list[tuple]) -> str:
    lines = [f"### {title}", "", "| view | first call (loads the model) | model layer | its CPU time | "
             "with the tab's drawing |", "|---|---|---|---|---|"]
    lines += [f"| {what} | {first:.2f} s | {wall:.2f} s | {cpu:.2f} s | {drawn:.2f} s |"
              for what, first, wall, cpu, drawn in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.why", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack-only", action="store_true", help="the offline pack only (no real-shape models)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per view after the first (default 3)")
    args = parser.parse_args(argv)
    os.environ.update(processes.child_env())  # offline and quiet, before transformers loads
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as app.py sets it for the served app (why: there)
    import config
    from models import loader

    config.use(config.load_settings(["--models", "offline"]))
    print(table("Offline pack", measure(args.repeat)))
    if not args.pack_only:
        with tempfile.TemporaryDirectory(prefix="playground-bench-why-") as tmp:
            folders = build_real_shapes(Path(tmp))
            overrides = [item for task, folder in folders.items() for item in ("--model", f"{task}={folder}")]
            config.use(config.load_settings(["--models", "offline", *overrides]))
            loader.clear()
            print(table("Real shapes, random weights", measure(args.repeat)))
    native = ", ".join(sorted(loader.native_dtypes())) or "none"
    print(f"\nload average {stats.load()}; reduced-precision dtypes native on this CPU: {native}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
