"""An encoder-decoder LSTM translator in plain PyTorch, as in the classic Keras seq2seq tutorial.

English-German phrases, a held-out share of each sentence length, word vocabularies from the training
part; training with teacher forcing; greedy decoding until <eos>; BLEU-1 by sentence length on the
held-out phrases. The weights are saved as safetensors beside a vocab.json.

The LSTM lesson runs this file, and its Show code prints it: it runs on its own.
"""

import csv
import json
import math
import random
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.utils.rnn import pad_sequence

SPECIALS = ["<pad>", "<sos>", "<eos>", "<unk>"]
PAD, SOS, EOS, UNK = range(4)
BUCKETS = (("1-3 words", 1, 3), ("4-5 words", 4, 5), ("6+ words", 6, 10**6))
MAX_DECODE = 40  # greedy decoding stops here if <eos> never comes
_WORD = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    """Lower-case words and punctuation marks: "Ich bin's." -> ["ich", "bin", "'", "s", "."]."""
    return _WORD.findall(text.lower())


def detokenize(tokens: list[str]) -> str:
    """Words joined by spaces, with no space before punctuation."""
    return re.sub(r" ([^\w\s])", r"\1", " ".join(tokens))


class Seq2Seq(nn.Module):
    """Encoder LSTM -> its final (h, c) -> decoder LSTM that starts from <sos> and predicts up to <eos>."""

    def __init__(self, source_vocab: int, target_vocab: int, embed: int = 64, hidden: int = 128):
        super().__init__()
        self.source_embed = nn.Embedding(source_vocab, embed, padding_idx=PAD)
        self.encoder = nn.LSTM(embed, hidden, batch_first=True)
        self.target_embed = nn.Embedding(target_vocab, embed, padding_idx=PAD)
        self.decoder = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, target_vocab)

    def encode(self, source, lengths):
        """source: (batch, source_len) ids, padded -> (h, c), each (1, batch, hidden).

        The whole sentence must fit in these two vectors: the decoder sees nothing else.
        """
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embed(source), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)  # skip the padding
        _, state = self.encoder(packed)
        return state

    def forward(self, source, lengths, target_in):
        """Teacher forcing: target_in is <sos> + the target; returns logits (batch, target_len, vocab)."""
        output, _ = self.decoder(self.target_embed(target_in), self.encode(source, lengths))
        return self.out(output)

    @torch.no_grad()
    def greedy(self, source_ids: list[int], max_len: int) -> list[int]:
        """The likeliest token at each step, fed back in, until <eos> or `max_len` tokens."""
        state = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        token = torch.tensor([[SOS]])  # (1, 1)
        result: list[int] = []
        for _ in range(max_len):
            output, state = self.decoder(self.target_embed(token), state)  # one token per step
            next_id = int(self.out(output[:, -1]).argmax(-1))
            if next_id == EOS:
                break
            result.append(next_id)
            token = torch.tensor([[next_id]])
        return result


# ---- the data ------------------------------------------------------------------------------------

def read_pairs(path: str) -> list[tuple[str, str]]:
    """(english, german) rows of a tab-separated file with the header english<TAB>german."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row["english"], row["german"]) for row in csv.DictReader(handle, delimiter="\t")]


def bucket(english: str) -> str:
    """The length bucket of an English sentence, by its words (punctuation not counted)."""
    count = sum(1 for w in english.split() if any(ch.isalnum() for ch in w))
    return next(name for name, low, high in BUCKETS if low <= max(count, 1) <= high)


def split(pairs: list[tuple[str, str]], held_out: float,
          seed: int = 0) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held_out): `held_out` of each length bucket, seeded; both keep the file order."""
    rng = random.Random(seed)
    held: set[int] = set()
    for name, _, _ in BUCKETS:
        rows = [i for i, (english, _) in enumerate(pairs) if bucket(english) == name]
        rng.shuffle(rows)
        held.update(rows[:round(len(rows) * held_out)])
    return [p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held]


@dataclass(frozen=True)
class Vocab:
    """Word <-> id, with the four special tokens first (<pad> 0, <sos> 1, <eos> 2, <unk> 3)."""

    words: tuple[str, ...]
    index: dict[str, int] = field(compare=False, repr=False)

    @classmethod
    def build(cls, texts: list[str]) -> "Vocab":
        return cls.of(SPECIALS + sorted({w for text in texts for w in words(text)}))

    @classmethod
    def of(cls, known: list[str]) -> "Vocab":
        return cls(tuple(known), {w: i for i, w in enumerate(known)})

    def encode(self, text: str) -> list[int]:
        return [self.index.get(w, UNK) for w in words(text)]

    def decode(self, ids: list[int]) -> str:
        return detokenize([self.words[i] for i in ids])


# ---- training ------------------------------------------------------------------------------------

def batch(pairs: list[tuple[str, str]], english: Vocab, german: Vocab):
    """Padded tensors: source (batch, S), lengths (batch,), target_in / target_out (batch, T + 1)."""
    sources = [torch.tensor(english.encode(en) or [PAD]) for en, _ in pairs]
    targets = [german.encode(de) for _, de in pairs]
    # Teacher forcing: the decoder reads <sos> w1 .. wn and must predict w1 .. wn <eos>.
    target_in = pad_sequence([torch.tensor([SOS, *t]) for t in targets], batch_first=True, padding_value=PAD)
    target_out = pad_sequence([torch.tensor([*t, EOS]) for t in targets], batch_first=True, padding_value=PAD)
    source = pad_sequence(sources, batch_first=True, padding_value=PAD)
    return source, torch.tensor([len(s) for s in sources]), target_in, target_out


def step(model: Seq2Seq, optimizer, pairs: list[tuple[str, str]], english: Vocab, german: Vocab) -> float:
    """One teacher-forced step on a batch of pairs: cross-entropy on the next German words, padding ignored."""
    source, lengths, target_in, target_out = batch(pairs, english, german)
    logits = model(source, lengths, target_in)  # (batch, T + 1, german vocab)
    loss = nn.functional.cross_entropy(logits.flatten(0, 1), target_out.flatten(), ignore_index=PAD)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # LSTMs' gradients can explode
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def train(model: Seq2Seq, pairs: list[tuple[str, str]], english: Vocab, german: Vocab, steps: int,
          batch_size: int, learning_rate: float, seed: int = 0, on_step=None, should_stop=None) -> list[float]:
    """`steps` Adam steps on seeded random batches; returns the loss per step.

    on_step(step, steps, loss) is called after each step; training stops once should_stop() is true.
    """
    rng = random.Random(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses: list[float] = []
    model.train()
    while len(losses) < steps and not (should_stop and should_stop()):
        losses.append(step(model, optimizer, rng.sample(pairs, min(batch_size, len(pairs))), english, german))
        if on_step:
            on_step(len(losses), steps, losses[-1])
    model.eval()
    return losses


def cap(source_len: int) -> int:
    """How many German tokens greedy decoding may produce for a sentence of `source_len` tokens."""
    return min(MAX_DECODE, 2 * source_len + 5)


def translate(model: Seq2Seq, english: Vocab, german: Vocab, text: str) -> str:
    """Greedy German for an English text ("" when it has no words)."""
    ids = english.encode(text)
    if not ids:
        return ""
    model.eval()
    return german.decode(model.greedy(ids, cap(len(ids))))


def bleu1(candidate: str, reference: str) -> float:
    """Clipped unigram precision times the brevity penalty (BLEU with 1-grams only), on lower-case words."""
    cand, ref = words(candidate), words(reference)
    if not cand:
        return 0.0
    overlap = sum((Counter(cand) & Counter(ref)).values())
    brevity = 1.0 if len(cand) >= len(ref) else math.exp(1 - len(ref) / len(cand))
    return overlap / len(cand) * brevity


def quality_by_length(held_out: list[tuple[str, str]], translate_fn) -> list[dict]:
    """Mean BLEU-1 of `translate_fn` (English -> German) per length bucket on the held-out phrases."""
    rows = []
    for name, _, _ in BUCKETS:
        pairs = [(en, de) for en, de in held_out if bucket(en) == name]
        scores = [bleu1(translate_fn(en), de) for en, de in pairs]
        mean = round(statistics.fmean(scores), 4) if scores else None
        rows.append({"bucket": name, "phrases": len(pairs), "bleu1": mean})
    return rows


@dataclass
class Trained:
    """A trained LSTM with its vocabularies, its sizes and how the training went."""

    model: Seq2Seq
    english: Vocab
    german: Vocab
    sizes: dict
    result: dict


def train_translator(pairs: list[tuple[str, str]], steps: int, sizes: dict, held_out: float, batch_size: int,
                     learning_rate: float, seed: int = 0, on_step=None, should_stop=None) -> Trained | None:
    """A fresh LSTM trained on the non-held-out pairs; its result: the losses and held-out BLEU-1 by length.

    None when should_stop() ended the training early.
    """
    started = time.monotonic()
    train_pairs, held = split(pairs, held_out, seed)
    english, german = Vocab.build([en for en, _ in train_pairs]), Vocab.build([de for _, de in train_pairs])
    torch.manual_seed(seed)  # the initial weights
    model = Seq2Seq(len(english.words), len(german.words), **sizes)
    losses = train(model, train_pairs, english, german, steps, batch_size, learning_rate, seed, on_step,
                   should_stop)
    if should_stop and should_stop():
        return None
    seconds = time.monotonic() - started
    quality = quality_by_length(held, lambda en: translate(model, english, german, en))
    result = {
        "loss_start": round(losses[0], 4), "loss_end": round(losses[-1], 4), "steps": len(losses),
        "losses": [round(loss, 4) for loss in losses], "ms_per_step": round(1000 * seconds / len(losses), 2),
        "held_out": len(held),
        "quality_by_length": [{"bucket": q["bucket"], "phrases": q["phrases"], "lstm": q["bleu1"]} for q in quality],
    }
    return Trained(model, english, german, sizes, result)


def save(folder: str, trained: Trained) -> None:
    """The weights (model.safetensors) and the vocabularies and sizes (vocab.json) into `folder`."""
    save_file(trained.model.state_dict(), str(Path(folder) / "model.safetensors"))
    (Path(folder) / "vocab.json").write_text(json.dumps(
        {"english": trained.english.words, "german": trained.german.words, "sizes": trained.sizes}))


def load(folder: str) -> tuple[Seq2Seq, Vocab, Vocab]:
    """(model, english, german) as `save` left them in `folder`."""
    vocab = json.loads((Path(folder) / "vocab.json").read_text())
    model = Seq2Seq(len(vocab["english"]), len(vocab["german"]), **vocab["sizes"])
    model.load_state_dict(load_file(str(Path(folder) / "model.safetensors")))
    return model.eval(), Vocab.of(vocab["english"]), Vocab.of(vocab["german"])


def _best_ms(fn, runs: int = 5) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(1000 * min(times), 3)


def time_per_step(hidden: int, lengths: list[int], seed: int = 0) -> list[dict]:
    """Milliseconds to encode n tokens: an LSTM cell stepping through them one after another, and one
    transformer encoder layer of the same width taking them all at once (best of 5 runs: other work on
    the machine only ever adds time)."""
    torch.manual_seed(seed)
    cell = nn.LSTMCell(hidden, hidden).eval()
    layer = nn.TransformerEncoderLayer(hidden, nhead=4, dim_feedforward=4 * hidden, batch_first=True).eval()

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
