"""LSTM lesson: an encoder-decoder LSTM trained here on English-German phrases (models/snippets/lstm.py),
compared with T5."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import config
import state
from models import limits, snippets, training, validate
from models.errors import InputError
from models.offline import sources
from serving.bridge import Bridge

if TYPE_CHECKING:
    from models.snippets.lstm import Trained

SEED = 0
HELD_OUT = 0.2  # of each length bucket, never trained on
SIZES = {"embed": 64, "hidden": 128}
BATCH = 32
LEARNING_RATE = 3e-3
TIMED_LENGTHS = (8, 32, 128)  # tokens, for the time-per-step comparison
ATTENTION_NOTE = (
    "The LSTM's decoder sees the English sentence only through the encoder's final (h, c): two vectors of "
    f"{SIZES['hidden']} numbers, whatever the length. There is no attention map to draw, because nothing "
    "lets a German word look back at the English word it translates. A transformer such as T5 keeps a vector "
    "per input token and its cross-attention weighs all of them at every output step; the Attention tab "
    "shows such maps.")


def phrases_path() -> Path:
    """The project's English-German phrases."""
    return sources.assets_dir() / "en_de_phrases.tsv"


def current() -> Trained:
    """The latest LSTM trained here (state.lstm), once a training has finished."""
    with state.lock:
        if state.lstm is None:
            raise InputError("The LSTM has not been trained yet: press Train (a few hundred steps take "
                             "seconds), then translate.")
        return state.lstm


def lstm_german(trained: Trained, text: str) -> str:
    from models.snippets import lstm as reference

    if not reference.words(text):
        raise InputError("The text has no words to translate; type an English sentence.")
    return reference.translate(trained.model, trained.english, trained.german, text)


def t5_german(text: str, choice: str | None = None, max_new_tokens: int | None = None) -> str:
    """T5's German for the same text, as the Translation tab makes it."""
    from models.tasks import translate

    return translate.translate(text, "German", choice, max_new_tokens=max_new_tokens)


def folder() -> Path:
    """Where the latest LSTM trained here is saved (safetensors weights, vocab.json)."""
    return config.current().cache_dir / "my-models" / "lstm-en-de"


def train(steps: Any = 300, sizes: dict | None = None) -> Bridge[dict]:
    """Train a fresh LSTM for `steps` steps, on the bridge: progress dicts, then loss_start, loss_end and the
    held-out BLEU-1 per length bucket. Serves /lstm_translate only once it has finished."""
    steps = validate.integer(steps, "steps", 1, limits.LSTM_STEPS)
    sizes = dict(sizes or SIZES)

    def work(emit, should_stop) -> dict | None:
        from models.snippets import lstm as reference

        trained = reference.train_translator(reference.read_pairs(phrases_path()), steps, sizes, HELD_OUT, BATCH,
                                             LEARNING_RATE, SEED, training.step_updates(emit), should_stop)
        if trained is None:
            return None
        trained.result["status"] = "done"
        _register(trained)
        return trained.result

    return training.stream_training(work)


def _register(trained: Trained) -> None:
    from models.snippets import lstm as reference

    training.replace_folder(folder(), lambda scratch: reference.save(scratch, trained))
    with state.lock:
        state.lstm = trained


# ---- using and comparing -------------------------------------------------------------------------

def translate(text: str, choice: str | None = None) -> tuple[str, str]:
    """(the LSTM's German, T5's German) for the same English text."""
    text = validate.text(text, "an English sentence", limits.LSTM_TEXT_CHARS)
    return lstm_german(current(), text), t5_german(text, choice)


def time_per_step(hidden: int = SIZES["hidden"], lengths: Sequence[int] = TIMED_LENGTHS) -> list[dict]:
    """Milliseconds to encode n tokens: an LSTM cell stepping through them one after another, and one
    transformer encoder layer of the same width taking them all at once (best of 5 runs: other work on
    the machine only ever adds time)."""
    import torch

    torch.manual_seed(SEED)
    cell = torch.nn.LSTMCell(hidden, hidden).eval()
    layer = torch.nn.TransformerEncoderLayer(hidden, nhead=4, dim_feedforward=4 * hidden, batch_first=True).eval()

    def lstm_pass(x) -> None:
        h = c = torch.zeros(1, hidden)
        for t in range(x.shape[1]):  # step t needs step t-1's (h, c): no parallelism across tokens
            h, c = cell(x[:, t], (h, c))

    rows = []
    with torch.inference_mode():
        for n in lengths:
            x = torch.randn(1, n, hidden)  # (batch, tokens, width)
            rows.append({"tokens": n, "lstm_ms": _best_ms(lambda x=x: lstm_pass(x)),
                         "transformer_ms": _best_ms(lambda x=x: layer(x)),
                         "lstm_sequential_steps": n, "transformer_sequential_steps": 1})
    return rows


def _best_ms(fn, runs: int = 5) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(1000 * min(times), 3)


def compare(choice: str | None = None) -> dict:
    """What the lesson shows: time per step, held-out BLEU-1 by length for the LSTM and T5, the attention note."""
    from models.snippets import lstm as reference

    trained = current()
    _, held_out = reference.split(reference.read_pairs(phrases_path()), HELD_OUT, SEED)
    t5 = reference.quality_by_length(
        held_out, lambda en: t5_german(en, choice, max_new_tokens=reference.cap(len(en.split()) + 2)))
    quality = [{**row, "t5": t5_row["bleu1"]} for row, t5_row in zip(trained.result["quality_by_length"], t5)]
    return {"time_per_step": time_per_step(trained.sizes["hidden"]), "quality_by_length": quality,
            "attention": ATTENTION_NOTE}


# ---- show code -----------------------------------------------------------------------------------

def train_code(steps: Any = 300, sizes: dict | None = None) -> str:
    """models/snippets/lstm.py and a call that trains the same LSTM: prints what /lstm_train returns (but its
    status)."""
    steps = validate.integer(steps, "steps", 1, limits.LSTM_STEPS)
    return snippets.program(
        ["lstm"], f"pairs = read_pairs({str(phrases_path())!r})",
        "trained = " + snippets.call("train_translator", "pairs", steps=steps, sizes=dict(sizes or SIZES),
                                     held_out=HELD_OUT, batch_size=BATCH, learning_rate=LEARNING_RATE, seed=SEED),
        "print(json.dumps(trained.result))")


def translate_code(text: str, choice: str | None = None) -> str:
    """models/snippets/lstm.py and seq2seq.py: the saved LSTM, then T5, on the same text; prints what
    /lstm_translate returns."""
    from models.tasks import translate as t5

    text = validate.text(text, "an English sentence", limits.LSTM_TEXT_CHARS)
    current()  # says "train first" when there is nothing to reload
    return snippets.program(
        ["lstm", "seq2seq"], f"lstm_model, english, german = load({str(folder())!r})",
        f"from_lstm = translate(lstm_model, english, german, {text!r})",
        *t5.code_lines(text, "German", choice, output="from_t5"),
        "print(json.dumps([from_lstm, from_t5], ensure_ascii=False))")
