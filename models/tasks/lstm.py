"""LSTM lesson: an encoder-decoder LSTM trained here on English-German phrases, compared with T5."""

from __future__ import annotations

import csv
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import config
import state
from models import limits, training, validate
from models.errors import InputError
from models.offline import sources

SEED = 0
HELD_OUT = 0.2  # of each length bucket, never trained on
BUCKETS = (("1-3 words", 1, 3), ("4-5 words", 4, 5), ("6+ words", 6, 10**6))
SIZES = {"embed": 64, "hidden": 128}
BATCH = 32
LEARNING_RATE = 3e-3
MAX_DECODE = 40  # greedy decoding stops here if <eos> never comes
TIMED_LENGTHS = (8, 32, 128)  # tokens, for the time-per-step comparison
ATTENTION_NOTE = (
    "The LSTM's decoder sees the English sentence only through the encoder's final (h, c): two vectors of "
    f"{SIZES['hidden']} numbers, whatever the length. There is no attention map to draw, because nothing "
    "lets a German word look back at the English word it translates. A transformer such as T5 keeps a vector "
    "per input token and its cross-attention weighs all of them at every output step; the Attention tab "
    "shows such maps.")


def phrases() -> list[tuple[str, str]]:
    """The project's English-German phrases (assets/en_de_phrases.tsv)."""
    with open(sources.assets_dir() / "en_de_phrases.tsv", newline="", encoding="utf-8") as handle:
        return [(row["english"], row["german"]) for row in csv.DictReader(handle, delimiter="\t")]


def bucket(english: str) -> str:
    """The length bucket of an English sentence, by its words (punctuation not counted)."""
    count = sum(1 for w in english.split() if any(ch.isalnum() for ch in w))
    return next(name for name, low, high in BUCKETS if low <= max(count, 1) <= high)


def split(pairs: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held_out): HELD_OUT of each length bucket, seeded; both keep the file order."""
    rng = random.Random(SEED)
    held: set[int] = set()
    for name, _, _ in BUCKETS:
        rows = [i for i, (english, _) in enumerate(pairs) if bucket(english) == name]
        rng.shuffle(rows)
        held.update(rows[:round(len(rows) * HELD_OUT)])
    return ([p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held])


@dataclass(frozen=True)
class Vocab:
    """Word <-> id, with the four special tokens first (<pad> 0, <sos> 1, <eos> 2, <unk> 3)."""

    words: tuple[str, ...]
    index: dict[str, int] = field(compare=False, repr=False)

    @classmethod
    def build(cls, texts: Sequence[str]) -> Vocab:
        from models.tasks import lstm_net

        found = sorted({w for text in texts for w in lstm_net.words(text)})
        words = tuple(lstm_net.SPECIALS + found)
        return cls(words, {w: i for i, w in enumerate(words)})

    def encode(self, text: str) -> list[int]:
        from models.tasks import lstm_net

        return [self.index.get(w, lstm_net.UNK) for w in lstm_net.words(text)]

    def decode(self, ids: Sequence[int]) -> str:
        from models.tasks import lstm_net

        return lstm_net.detokenize([self.words[i] for i in ids])


@dataclass
class Trained:
    """A trained LSTM with its vocabularies and how it did on the held-out phrases."""

    model: Any
    english: Vocab
    german: Vocab
    sizes: dict
    result: dict


def current() -> Trained:
    """The LSTM trained last in this process (state.lstm)."""
    with state.lock:
        if state.lstm is None:
            raise InputError("The LSTM has not been trained yet: press Train (a few hundred steps take "
                             "seconds), then translate.")
        return state.lstm


def cap(source_len: int) -> int:
    """How many German tokens greedy decoding may produce for a sentence of `source_len` tokens."""
    return min(MAX_DECODE, 2 * source_len + 5)


def lstm_german(trained: Trained, text: str) -> str:
    ids = trained.english.encode(text)
    if not ids:
        raise InputError("The text has no words to translate; type an English sentence.")
    trained.model.eval()
    return trained.german.decode(trained.model.greedy(ids, cap(len(ids))))


def t5_german(text: str, choice: str | None = None, max_new_tokens: int | None = None) -> str:
    """T5's German for the same text, as the Translation tab makes it."""
    from models.tasks import translate

    return translate.translate(text, "German", choice, max_new_tokens=max_new_tokens)


# ---- training ------------------------------------------------------------------------------------

def _batch(pairs: Sequence[tuple[str, str]], english: Vocab, german: Vocab):
    """Padded tensors: source (batch, S), lengths (batch,), target_in / target_out (batch, T + 1)."""
    import torch
    from torch.nn.utils.rnn import pad_sequence

    from models.tasks.lstm_net import EOS, PAD, SOS

    sources_ = [torch.tensor(english.encode(en) or [PAD]) for en, _ in pairs]
    targets = [german.encode(de) for _, de in pairs]
    # Teacher forcing: the decoder reads <sos> w1 .. wn and must predict w1 .. wn <eos>.
    target_in = pad_sequence([torch.tensor([SOS, *t]) for t in targets], batch_first=True, padding_value=PAD)
    target_out = pad_sequence([torch.tensor([*t, EOS]) for t in targets], batch_first=True, padding_value=PAD)
    source = pad_sequence(sources_, batch_first=True, padding_value=PAD)
    return source, torch.tensor([len(s) for s in sources_]), target_in, target_out


def train_steps(model, pairs, english: Vocab, german: Vocab, steps: int, *, on_step=None,
                should_stop=lambda: False, learning_rate: float = LEARNING_RATE) -> list[float]:
    """`steps` Adam steps on seeded random batches; returns the loss per step (padding ignored)."""
    import torch

    from models.tasks.lstm_net import PAD

    rng = random.Random(SEED)

    def batch_loss():
        source, lengths, target_in, target_out = _batch(rng.sample(pairs, min(BATCH, len(pairs))), english, german)
        logits = model(source, lengths, target_in)  # (batch, T + 1, german vocab)
        return torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_out.flatten(), ignore_index=PAD)

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    return training.optimize(model, optimizer, steps, batch_loss, on_step=on_step, should_stop=should_stop,
                             clip_norm=1.0)  # LSTMs' gradients can explode


def bleu1(candidate: str, reference: str) -> float:
    """Clipped unigram precision times the brevity penalty (BLEU with 1-grams only), on lower-case words."""
    import math

    from models.tasks.lstm_net import words

    cand, ref = words(candidate), words(reference)
    if not cand:
        return 0.0
    overlap = sum((Counter(cand) & Counter(ref)).values())
    brevity = 1.0 if len(cand) >= len(ref) else math.exp(1 - len(ref) / len(cand))
    return overlap / len(cand) * brevity


def by_length(held_out: Sequence[tuple[str, str]], translate_fn) -> list[dict]:
    """Mean BLEU-1 of `translate_fn` per length bucket on the held-out phrases."""
    rows = []
    for name, _, _ in BUCKETS:
        pairs = [(en, de) for en, de in held_out if bucket(en) == name]
        scores = [bleu1(translate_fn(en), de) for en, de in pairs]
        mean = round(statistics.fmean(scores), 4) if scores else None
        rows.append({"bucket": name, "phrases": len(pairs), "bleu1": mean})
    return rows


def folder() -> Path:
    """Where the latest LSTM trained here is saved (safetensors weights, vocab.json)."""
    return config.current().cache_dir / "my-models" / "lstm-en-de"


def _save(trained: Trained) -> None:
    from safetensors.torch import save_file

    def write(scratch: Path) -> None:
        save_file(trained.model.state_dict(), str(scratch / "model.safetensors"))
        (scratch / "vocab.json").write_text(json.dumps(
            {"english": trained.english.words, "german": trained.german.words, "sizes": trained.sizes}))

    training.replace_folder(folder(), write)


def train(steps: Any = 300, sizes: dict | None = None) -> Iterator[dict]:
    """Train a fresh LSTM for `steps` steps; yields progress dicts, then loss_start, loss_end and the
    held-out BLEU-1 per length bucket. Serves /lstm_translate only once it has finished."""
    steps = validate.integer(steps, "steps", 1, limits.LSTM_STEPS)
    sizes = dict(sizes or SIZES)

    def work(emit, should_stop) -> dict | None:
        import torch

        from models.tasks import lstm_net

        started = time.monotonic()
        train_pairs, held_out = split(phrases())
        english = Vocab.build([en for en, _ in train_pairs])
        german = Vocab.build([de for _, de in train_pairs])
        torch.manual_seed(SEED)
        model = lstm_net.Seq2Seq(len(english.words), len(german.words), **sizes)
        losses: list[float] = []

        def on_step(step: int, total: int, loss: float) -> None:
            losses.append(round(loss, 4))
            emit({"status": "training", "step": step, "total_steps": total, "loss": losses[-1],
                  "losses": list(losses)})

        train_steps(model, train_pairs, english, german, steps, on_step=on_step, should_stop=should_stop)
        if should_stop():
            return None
        seconds = time.monotonic() - started
        trained = Trained(model, english, german, sizes, {})
        quality = by_length(held_out, lambda en: lstm_german(trained, en))
        trained.result = {
            "loss_start": losses[0], "loss_end": losses[-1], "steps": len(losses), "losses": losses,
            "ms_per_step": round(1000 * seconds / len(losses), 2), "held_out": len(held_out),
            "quality_by_length": [{"bucket": q["bucket"], "phrases": q["phrases"], "lstm": q["bleu1"]}
                                  for q in quality],
            "status": "done",
        }
        _register(trained)
        return trained.result

    return training.stream_training(work)


def _register(trained: Trained) -> None:
    _save(trained)
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
    trained = current()
    _, held_out = split(phrases())
    t5 = by_length(held_out, lambda en: t5_german(en, choice, max_new_tokens=cap(len(en.split()) + 2)))
    quality = [{**row, "t5": t5_row["bleu1"]} for row, t5_row in zip(trained.result["quality_by_length"], t5)]
    return {"time_per_step": time_per_step(trained.sizes["hidden"]), "quality_by_length": quality,
            "attention": ATTENTION_NOTE}
