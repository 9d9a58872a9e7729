"""The LSTM lesson's "Show code": the whole LSTM in plain PyTorch, trained or reloaded, and T5 beside it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from models import limits, validate
from models.offline import sources
from models.tasks import lstm

_TRAIN = '''
# ---- the data: a held-out part per length bucket; vocabularies from the training part only
import csv
import json
import random

from torch.nn.utils.rnn import pad_sequence

with open({tsv!r}, newline="", encoding="utf-8") as handle:
    pairs = [(row["english"], row["german"]) for row in csv.DictReader(handle, delimiter="\\t")]
BUCKETS = {buckets!r}


def bucket(english):
    count = sum(1 for w in english.split() if any(ch.isalnum() for ch in w))
    return next(name for name, low, high in BUCKETS if low <= max(count, 1) <= high)


rng = random.Random({seed})
held_out = set()
for name, _, _ in BUCKETS:
    rows = [i for i, (english, _) in enumerate(pairs) if bucket(english) == name]
    rng.shuffle(rows)
    held_out.update(rows[:round(len(rows) * {held})])
train = [pair for i, pair in enumerate(pairs) if i not in held_out]
english = SPECIALS + sorted({{w for en, _ in train for w in words(en)}})
german = SPECIALS + sorted({{w for _, de in train for w in words(de)}})
en_index = {{w: i for i, w in enumerate(english)}}
de_index = {{w: i for i, w in enumerate(german)}}


def encode(index, text):
    return [index.get(w, UNK) for w in words(text)]


# ---- training with teacher forcing: the decoder reads <sos> w1..wn and predicts w1..wn <eos>
torch.manual_seed({seed})
model = Seq2Seq(len(english), len(german), **{sizes!r})
rng = random.Random({seed})
optimizer = torch.optim.Adam(model.parameters(), lr={lr!r})
losses = []
model.train()
for step in range({steps}):
    batch = rng.sample(train, min({batch}, len(train)))
    source_ids = [torch.tensor(encode(en_index, en) or [PAD]) for en, _ in batch]
    targets = [encode(de_index, de) for _, de in batch]
    target_in = pad_sequence([torch.tensor([SOS, *t]) for t in targets], batch_first=True, padding_value=PAD)
    target_out = pad_sequence([torch.tensor([*t, EOS]) for t in targets], batch_first=True, padding_value=PAD)
    source = pad_sequence(source_ids, batch_first=True, padding_value=PAD)  # (batch, longest)
    logits = model(source, torch.tensor([len(s) for s in source_ids]), target_in)  # (batch, T + 1, vocab)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_out.flatten(), ignore_index=PAD)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()
    losses.append(loss.item())
print(json.dumps({{"loss_start": round(losses[0], 4), "loss_end": round(losses[-1], 4)}}))
'''

_RELOAD = '''
# ---- the LSTM trained in the app: reload it and decode greedily until <eos>
import json

from safetensors.torch import load_file

folder = {folder!r}
with open(folder + "/vocab.json", encoding="utf-8") as handle:
    vocab = json.load(handle)
model = Seq2Seq(len(vocab["english"]), len(vocab["german"]), **vocab["sizes"])
model.load_state_dict(load_file(folder + "/model.safetensors"))
model.eval()
index = {{w: i for i, w in enumerate(vocab["english"])}}
source = [index.get(w, UNK) for w in words({text!r})]
print(detokenize([vocab["german"][i] for i in model.greedy(source, min({max_decode}, 2 * len(source) + 5))]))

# ---- T5 on the same sentence: the transformer beside it
'''


def network_source() -> str:
    """The text of lstm_net.py, read without importing it (importing it imports torch)."""
    return Path(importlib.util.find_spec("models.tasks.lstm_net").origin).read_text(encoding="utf-8")


def train(steps: Any = 300, sizes: dict | None = None) -> str:
    """Code that trains the same LSTM and prints loss_start and loss_end."""
    steps = validate.integer(steps, "steps", 1, limits.LSTM_STEPS)
    return network_source() + _TRAIN.format(
        tsv=str(sources.assets_dir() / "en_de_phrases.tsv"), buckets=list(lstm.BUCKETS), seed=lstm.SEED,
        held=lstm.HELD_OUT, sizes=dict(sizes or lstm.SIZES), lr=lstm.LEARNING_RATE, steps=steps, batch=lstm.BATCH)


def translate(text: str, choice: str | None = None) -> str:
    """Code that prints the LSTM's German, then T5's, for the same text (one line each)."""
    from models.tasks import translate as t5

    text = validate.text(text, "an English sentence", limits.LSTM_TEXT_CHARS)
    lstm.current()  # says "train first" when there is nothing to reload
    reload = _RELOAD.format(folder=str(lstm.folder()), text=text, max_decode=lstm.MAX_DECODE)
    return network_source() + reload + t5.code(text, "German", choice)
