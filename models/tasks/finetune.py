"""Fine-tuning lab: a classifier and a causal LM trained on the user's data, and MRPC-style pair batches."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import config
import state
from models import limits, loader, training, validate
from models.errors import InputError
from models.offline import sources
from models.training import LabelledText

SEED = 0  # the split, the new head's weights and the batch order: same inputs, same model
TEST_FRACTION = 0.2  # held out from training, per label
SERVES = "sentiment"  # the task whose "My model" choice a trained classifier becomes
CODE_KEYS = ("accuracy", "confusion_matrix", "labels", "train_examples", "test_examples")
LM_BLOCK = 64  # tokens per training sequence
LM_BATCH = 4  # sequences per step: (4, 64) token ids; the logits are (4, 64, vocab)
LM_PROMPT_WORDS = 5  # the before/after prompt: the training text's first words
LM_NEW_TOKENS = 20
PAIR_MAX_TOKENS = 128


def example_set_path() -> Path:
    return sources.assets_dir() / "sentiment.csv"


def corpus_path() -> Path:
    return sources.assets_dir() / "lm_corpus.txt"


# ---- the classifier's data -----------------------------------------------------------------------

def parse_examples(csv_text: str | None) -> list[LabelledText]:
    """The labelled examples of a `text,label` CSV; empty means the project's example set."""
    if csv_text is None or (isinstance(csv_text, str) and not csv_text.strip()):
        return training.read_labelled_csv(example_set_path())
    csv_text = validate.text(csv_text, "the examples CSV", limits.FINETUNE_CSV_CHARS).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(csv_text.strip()), strict=True)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        if "text" not in header or "label" not in header:
            raise InputError(f"The first line must be the header text,label (got {','.join(header)[:80]!r}).")
        columns = header.index("text"), header.index("label")
        examples: list[LabelledText] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines
            if len(examples) == limits.FINETUNE_ROWS:
                raise InputError(f"The CSV has more than {limits.FINETUNE_ROWS:,} examples, the limit. Remove some.")
            examples.append(_example(row, columns, reader.line_num))
        return examples
    except csv.Error as exc:
        raise InputError(f"The CSV could not be read at line {reader.line_num} ({exc}). Put a text that "
                         "contains commas, quotes or line breaks in double quotes.") from None


def _example(row: list[str], columns: tuple[int, int], line: int) -> LabelledText:
    if len(row) <= max(columns):
        raise InputError(f"Line {line} has {len(row)} field(s); each row needs a text and a label. "
                         "Put a text that contains commas in double quotes.")
    text, label = row[columns[0]].strip(), row[columns[1]].strip()
    if not text or not label:
        raise InputError(f"Line {line} has an empty {'text' if not text else 'label'}; fill it in or remove the row.")
    if len(text) > limits.FINETUNE_EXAMPLE_CHARS:
        raise InputError(f"The text on line {line} is {len(text):,} characters; the limit is "
                         f"{limits.FINETUNE_EXAMPLE_CHARS:,} per example. Shorten it.")
    if len(label) > limits.LABEL_CHARS:
        raise InputError(f"The label on line {line} is longer than {limits.LABEL_CHARS} characters.")
    return LabelledText(text, label)


def check_labels(examples: list[LabelledText], declared: str | None = "") -> list[str]:
    """The classes in order: those declared (comma-separated), else every label found, sorted."""
    if len(examples) > limits.FINETUNE_ROWS:
        raise InputError(f"There are {len(examples):,} examples; the limit is {limits.FINETUNE_ROWS:,}. Remove some.")
    if len(examples) < limits.FINETUNE_MIN_ROWS:
        raise InputError(f"There are {len(examples)} examples; give at least {limits.FINETUNE_MIN_ROWS} "
                         "so some can be held out for testing.")
    counts = Counter(ex.label for ex in examples)
    labels = _declared(declared) or sorted(counts)
    unknown = next((i for i, ex in enumerate(examples) if ex.label not in labels), None)
    if unknown is not None:
        ex = examples[unknown]
        raise InputError(f"Example {unknown + 1} ({ex.text[:40]!r}) has the label {ex.label!r}, which is not one of "
                         f"the labels you listed ({', '.join(labels)}). Fix the row, or add the label.")
    if not 2 <= len(labels) <= limits.FINETUNE_LABELS:
        raise InputError(f"Found {len(labels)} label(s) ({', '.join(labels)[:200]}); a classifier here needs "
                         f"2 to {limits.FINETUNE_LABELS}.")
    for label in labels:
        if counts[label] < 2:
            raise InputError(f"The label {label!r} has {counts[label]} example(s); each needs at least 2 (one is "
                             "held out for testing). Add examples, or fix a typo in a label.")
    return labels


def _declared(declared: str | None) -> list[str]:
    if declared is None or not str(declared).strip():
        return []
    names = [name.strip() for name in validate.text(declared, "the labels", 2_000).split(",")]
    return list(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True)
class ClassifierSettings:
    """Epochs, learning rate and batch size, checked against the caps."""

    epochs: int = 3
    learning_rate: float = 2e-4
    batch_size: int = 16

    @classmethod
    def checked(cls, epochs: Any, learning_rate: Any, batch_size: Any) -> ClassifierSettings:
        return cls(
            epochs=validate.integer(epochs, "epochs", 1, limits.FINETUNE_EPOCHS),
            learning_rate=validate.number(learning_rate, "learning rate", limits.FINETUNE_LR_MIN,
                                          limits.FINETUNE_LR_MAX),
            batch_size=validate.integer(batch_size, "batch size", 1, limits.FINETUNE_BATCH),
        )


# ---- fresh trainable copies ----------------------------------------------------------------------

def _trainable(task: str, choice: str | None) -> loader.Resolved:
    resolved = loader.resolve(task, choice)
    if resolved.source == "sagemaker":
        raise InputError(f"{resolved.choice} cannot be fine-tuned here; pick a Hub model or a local folder.")
    return resolved


def fresh_classifier(resolved: loader.Resolved, labels: list[str], freeze_embeddings: bool = True) -> tuple[Any, Any]:
    """A new trainable copy of the base model with a classification head for `labels` (never the shared one)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(SEED)  # the new head's initial weights
    model = AutoModelForSequenceClassification.from_pretrained(
        resolved.location_for_code, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)}, ignore_mismatched_sizes=True,
        use_safetensors=True, trust_remote_code=False, **resolved.revision_kwargs)
    if freeze_embeddings:
        # The word-embedding table is most of a small encoder's weights and much of each step's cost,
        # and a few hundred pretrained-on sentences cannot improve it.
        model.get_input_embeddings().requires_grad_(False)
    return model, loader.load_tokenizer(resolved)


def fresh_causal_lm(resolved: loader.Resolved) -> tuple[Any, Any]:
    """A new trainable copy of the generation model (the Generation tab keeps its own)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(resolved.location_for_code, use_safetensors=True,
                                                 trust_remote_code=False, **resolved.revision_kwargs)
    return model, loader.load_tokenizer(resolved)


def my_model_folder() -> Path:
    """Where the latest classifier trained here is saved (save_pretrained, safetensors)."""
    return config.current().cache_dir / "my-models" / SERVES


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    def write(scratch: Path) -> None:
        model.save_pretrained(scratch, safe_serialization=True)
        tokenizer.save_pretrained(scratch)

    training.replace_folder(folder, write)


# ---- training the classifier ------------------------------------------------------------------------

def train_classifier(csv_text: str | None, epochs: Any = 3, learning_rate: Any = 2e-4, batch_size: Any = 16,
                     labels: str | None = "", freeze_embeddings: bool = True,
                     choice: str | None = None) -> Iterator[dict]:
    """Fine-tune the base model on the examples; yields progress dicts, then the held-out metrics.

    On success the model serves the Sentiment tab's "My model" choice and is saved to
    `my_model_folder()`. A failed or cancelled run (closing the iterator) changes neither.
    """
    examples = parse_examples(csv_text)
    label_names = check_labels(examples, labels)
    settings = ClassifierSettings.checked(epochs, learning_rate, batch_size)
    resolved = _trainable("finetune", choice)

    def work(emit, should_stop) -> dict | None:
        started = time.monotonic()
        emit({"status": f"loading {resolved.choice}", "step": 0, "losses": []})
        model, tokenizer = fresh_classifier(resolved, label_names, bool(freeze_embeddings))
        train, test = training.stratified_split(examples, TEST_FRACTION, SEED)
        losses: list[float] = []

        def on_step(step: int, total: int, loss: float) -> None:
            losses.append(round(loss, 4))
            emit({"status": "training", "step": step, "total_steps": total, "loss": losses[-1],
                  "losses": list(losses)})

        training.train_classifier(model, tokenizer, train, epochs=settings.epochs, seed=SEED,
                                  learning_rate=settings.learning_rate, batch_size=settings.batch_size,
                                  on_step=on_step, should_stop=should_stop)
        if should_stop():
            return None
        emit({"status": "evaluating on the held-out examples", "step": len(losses), "losses": list(losses)})
        predicted = training.predict_labels(model, tokenizer, [ex.text for ex in test])
        truth = [ex.label for ex in test]
        metrics = {
            "accuracy": round(sum(p == t for p, t in zip(predicted, truth)) / len(truth), 4),
            "confusion_matrix": training.confusion_matrix(truth, predicted, label_names),
            "labels": label_names, "train_examples": len(train), "test_examples": len(test),
            "steps": len(losses), "losses": losses, "base_model": resolved.choice,
        }
        if should_stop():
            return None
        _save(model, tokenizer, my_model_folder())
        loader.register_session_model(SERVES, model, tokenizer, my_model_folder())
        return {**metrics, "status": "done", "seconds": round(time.monotonic() - started, 1),
                "saved_to": str(my_model_folder()), "serves": f"{SERVES}: {loader.MY_MODEL}"}

    return training.stream_training(work)


# ---- the causal language model ------------------------------------------------------------------

def train_lm(text: str | None, steps: Any = 30, learning_rate: Any = 1e-3,
             choice: str | None = None) -> Iterator[dict]:
    """A few steps of causal-LM training on `text` (empty: assets/lm_corpus.txt); yields progress dicts,
    then loss_start / loss_end on the whole text and greedy generations before and after."""
    text = corpus_path().read_text(encoding="utf-8") if not (text or "").strip() else text
    text = validate.text(text, "the training text", limits.LM_TEXT_CHARS)
    steps = validate.integer(steps, "steps", 1, limits.LM_STEPS)
    learning_rate = validate.number(learning_rate, "learning rate", limits.FINETUNE_LR_MIN, limits.FINETUNE_LR_MAX)
    resolved = _trainable("generate", choice)
    prompt = lm_prompt(text)

    def work(emit, should_stop) -> dict | None:
        emit({"status": f"loading {resolved.choice}", "step": 0, "losses": []})
        model, tokenizer = fresh_causal_lm(resolved)
        blocks = training.lm_blocks(tokenizer(text)["input_ids"], LM_BLOCK)
        if len(blocks[0]) < 8:
            raise InputError("The training text is only a few tokens long; paste a paragraph or more.")
        before, loss_start = greedy(model, tokenizer, prompt), mean_lm_loss(model, blocks)
        losses: list[float] = []

        def on_step(step: int, total: int, loss: float) -> None:
            losses.append(round(loss, 4))
            emit({"status": "training", "step": step, "total_steps": total, "loss": losses[-1],
                  "losses": list(losses)})

        training.train_causal_lm(model, blocks, steps=steps, learning_rate=learning_rate, batch_size=LM_BATCH,
                                 seed=SEED, on_step=on_step, should_stop=should_stop)
        if should_stop():
            return None
        return {"loss_start": round(loss_start, 4), "loss_end": round(mean_lm_loss(model, blocks), 4),
                "before": before, "after": greedy(model, tokenizer, prompt), "prompt": prompt,
                "steps": len(losses), "losses": losses, "status": "done"}

    return training.stream_training(work)


def lm_prompt(text: str) -> str:
    """The before/after prompt: the training text's first few words."""
    return " ".join(text.split()[:LM_PROMPT_WORDS])


def mean_lm_loss(model: Any, blocks: list[list[int]]) -> float:
    """The causal-LM loss over the whole text, a few blocks at a time (logits are (4, 64, vocab) per chunk)."""
    chunks = [blocks[i:i + LM_BATCH] for i in range(0, len(blocks), LM_BATCH)]
    return sum(training.lm_loss(model, chunk) * len(chunk) for chunk in chunks) / len(blocks)


def greedy(model: Any, tokenizer: Any, prompt: str) -> str:
    """The model's greedy continuation of `prompt` (deterministic: the same weights give the same text)."""
    import torch

    inputs = tokenizer(prompt, return_tensors="pt")  # input_ids: (1, prompt tokens)
    with torch.inference_mode():
        ids = model.generate(**inputs, max_new_tokens=LM_NEW_TOKENS, do_sample=False,
                             pad_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(ids[0], skip_special_tokens=True)


# ---- sentence pairs, MRPC-style -------------------------------------------------------------------

def paraphrase_pairs() -> list[tuple[str, str, int]]:
    """The project's MRPC-style pairs: (sentence1, sentence2, 1 if paraphrase else 0)."""
    with open(sources.assets_dir() / "paraphrase_pairs.csv", newline="", encoding="utf-8") as handle:
        return [(r["sentence1"], r["sentence2"], int(r["label"])) for r in csv.DictReader(handle)]


def base_tokenizer(choice: str | None = None) -> Any:
    """The fine-tuning base model's tokenizer alone (cached in state; the model itself is not loaded)."""
    resolved = _trainable("finetune", choice)
    key = f"{resolved.location_for_code}@{resolved.revision or ''}"
    with state.lock:
        if key in state.base_tokenizers:
            return state.base_tokenizers[key]
    loaded = loader.load_tokenizer(resolved)
    with state.lock:
        return state.base_tokenizers.setdefault(key, loaded)


def pair_batch(sentence1: str, sentence2: str, examples: Any = 3, choice: str | None = None) -> dict:
    """Pairs tokenized together ([CLS] a [SEP] b [SEP]) and padded into one batch by DataCollatorWithPadding.

    The user's pair comes first with label -100 (no label: the loss ignores it), then `examples`
    pairs of the project's set. Every tensor is returned as nested lists, with its shape.
    """
    from transformers import DataCollatorWithPadding

    first = validate.text(sentence1, "the first sentence", limits.FINETUNE_EXAMPLE_CHARS)
    second = validate.text(sentence2, "the second sentence", limits.FINETUNE_EXAMPLE_CHARS)
    count = validate.integer(examples, "pairs from the example set", 0, limits.PAIR_ROWS - 1)
    rows = [(first, second, -100), *paraphrase_pairs()[:count]]
    tokenizer = base_tokenizer(choice)
    # Each feature has its own length; "label" is renamed "labels" by the collator, as Trainer expects.
    features = [{**tokenizer(a, b, truncation=True, max_length=PAIR_MAX_TOKENS), "label": label}
                for a, b, label in rows]
    batch = DataCollatorWithPadding(tokenizer, return_tensors="pt")(features)  # each (pairs, longest)
    return {
        "pairs": [[a, b] for a, b, _ in rows],
        "tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in batch["input_ids"].tolist()],
        **{name: tensor.tolist() for name, tensor in batch.items()},
        "shapes": {name: list(tensor.shape) for name, tensor in batch.items()},
    }
