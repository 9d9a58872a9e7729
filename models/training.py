"""Fine-tuning loops shared by the offline pack and the fine-tuning lab (plain PyTorch, CPU)."""

from __future__ import annotations

import csv
import os
import random
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serving import bridge

StepCallback = Callable[[int, int, float], None]  # (step, total_steps, loss)


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str


def read_labelled_csv(path: Path) -> list[LabelledText]:
    """Rows of a `text,label` CSV file."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [LabelledText(row["text"], row["label"]) for row in csv.DictReader(handle)]


def _never() -> bool:
    return False


def train_classifier(
    model,
    tokenizer,
    examples: Sequence[LabelledText],
    *,
    epochs: int = 3,
    learning_rate: float = 5e-5,
    batch_size: int = 16,
    seed: int = 0,
    on_step: StepCallback | None = None,
    should_stop: Callable[[], bool] = _never,
) -> list[float]:
    """Fine-tune a sequence classifier in place on (text, label) pairs; returns the loss per step.

    Labels are mapped through model.config.label2id. Each epoch reshuffles with a seeded RNG, so
    the same inputs give the same model.
    """
    import torch

    label2id = model.config.label2id
    rng = random.Random(seed)
    torch.manual_seed(seed)
    order = list(range(len(examples)))
    total_steps = epochs * ((len(order) + batch_size - 1) // batch_size)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    losses: list[float] = []
    model.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            if should_stop():
                model.eval()
                return losses
            batch = [examples[i] for i in order[start:start + batch_size]]
            inputs = tokenizer([ex.text for ex in batch], padding=True, truncation=True,
                               max_length=128, return_tensors="pt")
            labels = torch.tensor([label2id[ex.label] for ex in batch])  # (batch,)
            loss = model(**inputs, labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            if on_step:
                on_step(len(losses), total_steps, losses[-1])
    model.eval()
    return losses


def stratified_split(examples: Sequence[LabelledText], test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[list[LabelledText], list[LabelledText]]:
    """(train, test): the same fraction of every label held out, at least one each; seeded.

    Both parts keep the input order, so the split is easy to reproduce by hand.
    """
    rng = random.Random(seed)
    held_out: set[int] = set()
    for label in sorted({ex.label for ex in examples}):
        rows = [i for i, ex in enumerate(examples) if ex.label == label]
        rng.shuffle(rows)
        held_out.update(rows[:max(1, round(len(rows) * test_fraction))])
    train = [ex for i, ex in enumerate(examples) if i not in held_out]
    test = [ex for i, ex in enumerate(examples) if i in held_out]
    return train, test


def predict_labels(model, tokenizer, texts: Sequence[str], batch_size: int = 32) -> list[str]:
    """The label the classifier gives each text (argmax of the logits)."""
    import torch

    predicted: list[str] = []
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            inputs = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                               max_length=128, return_tensors="pt")
            logits = model(**inputs).logits  # (batch, num_labels)
            predicted += [model.config.id2label[i] for i in logits.argmax(-1).tolist()]
    return predicted


def confusion_matrix(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """matrix[i][j]: how many examples of labels[i] were predicted as labels[j]."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for true_label, guess in zip(truth, predicted):
        matrix[index[true_label]][index[guess]] += 1
    return matrix


def lm_blocks(token_ids: Sequence[int], block_size: int) -> list[list[int]]:
    """Consecutive blocks of `block_size` token ids (the tail that does not fill one is dropped,
    unless the text is shorter than a block: then it is the only block)."""
    if len(token_ids) < block_size:
        return [list(token_ids)]
    return [list(token_ids[i:i + block_size]) for i in range(0, len(token_ids) - block_size + 1, block_size)]


def lm_loss(model, blocks: Sequence[Sequence[int]]) -> float:
    """Mean causal-LM loss over all blocks (each block predicts its own next tokens)."""
    import torch

    model.eval()
    with torch.inference_mode():
        batch = torch.tensor(blocks)  # (blocks, block_size): every block has the same length
        return model(input_ids=batch, labels=batch).loss.item()


def train_causal_lm(
    model,
    blocks: Sequence[Sequence[int]],
    *,
    steps: int,
    learning_rate: float = 1e-3,
    batch_size: int = 8,
    seed: int = 0,
    on_step: StepCallback | None = None,
    should_stop: Callable[[], bool] = _never,
) -> list[float]:
    """Fine-tune a causal LM in place for `steps` steps on seeded random batches of blocks."""
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)

    def batch_loss():
        batch = torch.tensor([blocks[rng.randrange(len(blocks))] for _ in range(batch_size)])  # (batch, block)
        return model(input_ids=batch, labels=batch).loss  # labels are shifted inside the model

    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    return optimize(model, optimizer, steps, batch_loss, on_step=on_step, should_stop=should_stop)


def optimize(model, optimizer, steps: int, batch_loss: Callable[[], Any], *, on_step: StepCallback | None = None,
             should_stop: Callable[[], bool] = _never, clip_norm: float | None = None) -> list[float]:
    """`steps` optimizer steps, each on `batch_loss()` (the loss of a fresh batch); returns the loss per step.

    Stops early once should_stop() is true; gradients are clipped to `clip_norm` when given.
    """
    import torch

    losses: list[float] = []
    model.train()
    for step in range(1, steps + 1):
        if should_stop():
            break
        loss = batch_loss()
        loss.backward()
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if on_step:
            on_step(step, steps, losses[-1])
    model.eval()
    return losses


def replace_folder(folder: Path, write: Callable[[Path], None]) -> None:
    """Fill a scratch folder with `write`, then swap it in: a failed save never leaves half a model."""
    import os
    import shutil

    scratch = folder.with_name(f".{folder.name}.saving-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        write(scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)


# ---- running a training in the background ------------------------------------------------------

TRAINING = threading.Lock()  # one training at a time in this process, whichever lab runs it


def training_threads() -> int:
    """Intra-op threads a training uses: half the cores, so the other tabs keep the rest.

    On 2 cores this also avoids OpenMP's worst case: two busy thread teams spinning on the same cores
    (measured here: a MiniLM step 4x slower with 2 threads than with 1 while other work ran).
    """
    return max(1, (os.cpu_count() or 2) // 2)


@contextmanager
def _fewer_threads():
    # torch.set_num_threads applies to the calling thread (OpenMP) and to threads started later, so
    # the default is restored afterwards; threads already running keep theirs throughout.
    import torch

    default = torch.get_num_threads()
    torch.set_num_threads(min(default, training_threads()))
    try:
        yield
    finally:
        torch.set_num_threads(default)


def _status(update: object) -> object:
    return update.get("status") if isinstance(update, dict) else None


def stream_training(work: bridge.Work, min_interval: float = 0.5) -> bridge.Bridge:
    """`work(emit, should_stop)` on the bridge, holding TRAINING with fewer threads: read it for what it emits
    (at most one update per `min_interval` seconds, except that a new "status" is always shown, so a fast run
    still reports each phase), then its result.

    Closing it (a cancelled event, a client gone away, the time budget) makes should_stop() true, so the work
    stops at its next step; TRAINING is held until it has, so runs never overlap. An exception in the work is
    raised in the reader.
    """
    def exclusive(emit: bridge.Emit, should_stop: bridge.ShouldStop) -> object:
        with TRAINING, _fewer_threads():
            return None if should_stop() else work(emit, should_stop)

    return bridge.Bridge(exclusive, name="training", every=min_interval, phase=_status)
