"""Fine-tuning lab: a classifier and a causal LM trained on the user's data, and MRPC-style pair batches.

The algorithms are models/snippets/classifier.py, causal_lm.py and pairs.py (Show code prints them); this
module checks the inputs, holds the lab's settings, and runs a training in the background.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import config
import state
from models import limits, loader, snippets, training, validate
from models.errors import InputError
from models.offline import sources
from serving.bridge import Bridge

Example = tuple[str, str]  # (text, label)

SEED = 0  # the split, the new head's weights and the batch order: same inputs, same model
TEST_FRACTION = 0.2  # held out from training, per label
SERVES = "sentiment"  # the task whose "My model" choice a trained classifier becomes
LM_BLOCK = 64  # tokens per training sequence
LM_BATCH = 4  # sequences per step: (4, 64) token ids; the logits are (4, 64, vocab)
LM_PROMPT_WORDS = 5  # the before/after prompt: the training text's first words
LM_NEW_TOKENS = 20
PAIR_MAX_TOKENS = 128


def example_set_path() -> Path:
    return sources.assets_dir() / "sentiment.csv"


def corpus_path() -> Path:
    return sources.assets_dir() / "lm_corpus.txt"


def paraphrases_path() -> Path:
    return sources.assets_dir() / "paraphrase_pairs.csv"


# ---- the classifier's data -----------------------------------------------------------------------

def parse_examples(csv_text: str | None) -> list[Example]:
    """The labelled examples of a `text,label` CSV; empty means the project's example set."""
    if csv_text is None or (isinstance(csv_text, str) and not csv_text.strip()):
        from models.snippets import classifier

        return classifier.read_csv(str(example_set_path()))
    csv_text = validate.text(csv_text, "the examples CSV", limits.FINETUNE_CSV_CHARS).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(csv_text.strip()), strict=True)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        if "text" not in header or "label" not in header:
            raise InputError(f"The first line must be the header text,label (got {','.join(header)[:80]!r}).")
        columns = header.index("text"), header.index("label")
        examples: list[Example] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines
            if len(examples) == limits.FINETUNE_ROWS:
                raise InputError(f"The CSV has more than {limits.FINETUNE_ROWS:,} examples, the limit. Remove some.")
            examples.append(_example(row, columns, reader.line_num))
        return examples
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # the csv module's own cap (131,072), far past ours
            raise InputError(f"A text on line {reader.line_num} is far over the limit of "
                             f"{limits.FINETUNE_EXAMPLE_CHARS} characters per example; shorten it.") from None
        raise InputError(f"The CSV could not be read at line {reader.line_num} ({exc}). Put a text that "
                         "contains commas, quotes or line breaks in double quotes.") from None


def _example(row: list[str], columns: tuple[int, int], line: int) -> Example:
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
    return text, label


def check_labels(examples: list[Example], declared: str | None = "") -> list[str]:
    """The classes in order: those declared (comma-separated), else every label found, sorted."""
    if len(examples) > limits.FINETUNE_ROWS:
        raise InputError(f"There are {len(examples):,} examples; the limit is {limits.FINETUNE_ROWS:,}. Remove some.")
    if len(examples) < limits.FINETUNE_MIN_ROWS:
        raise InputError(f"There are {len(examples)} examples; give at least {limits.FINETUNE_MIN_ROWS} "
                         "so some can be held out for testing.")
    counts = Counter(label for _, label in examples)
    labels = _declared(declared) or sorted(counts)
    unknown = next((i for i, (_, label) in enumerate(examples) if label not in labels), None)
    if unknown is not None:
        text, label = examples[unknown]
        raise InputError(f"Example {unknown + 1} ({text[:40]!r}) has the label {label!r}, which is not one of "
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


def fresh_causal_lm(resolved: loader.Resolved) -> tuple[Any, Any]:
    """A new trainable copy of the generation model (the Generation tab keeps its own), on the device."""
    folder = loader.local_folder(resolved)
    with state.build_lock:  # beside a tab's first load: see state.build_lock
        model = loader.transformers_attr("AutoModelForCausalLM").from_pretrained(
            folder, use_safetensors=True, trust_remote_code=False)
    return model.to(resolved.device), loader.transformers_attr("AutoTokenizer").from_pretrained(folder)


def my_model_folder() -> Path:
    """Where the classifier this request's owner trained is saved (save_pretrained, safetensors): one folder per
    session, named by a hash of its id, or one for everyone when the operator shares "My model"."""
    owner = loader.my_model_owner()
    if not owner:
        return config.current().cache_dir / "my-models" / SERVES
    name = hashlib.sha256(owner.encode()).hexdigest()[:16]  # a session id is the client's string: never a path
    return config.current().cache_dir / "my-models" / f"{SERVES}-sessions" / name


# What results and notes say instead of the folder: a server's paths (its home, its user) are not the caller's business.
SAVED_IN = "the app's model cache (kept while it is among the most recent; your session's own copy)"


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    def write(scratch: Path) -> None:
        model.save_pretrained(scratch, safe_serialization=True)
        tokenizer.save_pretrained(scratch)

    training.replace_folder(folder, write)


# ---- training the classifier ------------------------------------------------------------------------

def train_classifier(csv_text: str | None, epochs: Any = 3, learning_rate: Any = 2e-4, batch_size: Any = 16,
                     labels: str | None = "", freeze_embeddings: bool = True,
                     choice: str | None = None) -> Bridge[dict]:
    """Fine-tune the base model on the examples, on the bridge: progress dicts, then the held-out metrics.

    On success the model serves the Sentiment tab's "My model" choice and is saved to
    `my_model_folder()`. A failed or cancelled run (closing the bridge) changes neither.
    """
    examples = parse_examples(csv_text)
    label_names = check_labels(examples, labels)
    settings = ClassifierSettings.checked(epochs, learning_rate, batch_size)
    resolved = _trainable("finetune", choice)

    def work(emit, should_stop) -> dict | None:
        from models.snippets import classifier

        started = time.monotonic()
        emit({"status": f"loading {resolved.choice}", "step": 0, "losses": []})
        with state.build_lock:  # beside a tab's first load: see state.build_lock
            model, tokenizer = classifier.new_classifier(loader.local_folder(resolved), label_names,
                                                        bool(freeze_embeddings), SEED, resolved.device)
        train, test = classifier.stratified_split(examples, TEST_FRACTION, SEED)
        losses = classifier.train(model, tokenizer, train, settings.epochs, settings.learning_rate,
                                  settings.batch_size, SEED, training.step_updates(emit), should_stop)
        if should_stop():
            return None
        emit({"status": "evaluating on the held-out examples", "step": len(losses),
              "losses": [round(loss, 4) for loss in losses]})
        metrics = classifier.evaluate(model, tokenizer, train, test, label_names, losses)
        if should_stop():
            return None
        folder = my_model_folder()
        _save(model, tokenizer, folder)
        for dropped in loader.register_session_model(SERVES, model, tokenizer, folder):
            shutil.rmtree(dropped, ignore_errors=True)  # a session's model that fell out of the most recent
        return {**metrics, "base_model": resolved.choice, "status": "done",
                "seconds": round(time.monotonic() - started, 1), "saved_to": SAVED_IN,
                "serves": f"{SERVES}: {loader.MY_MODEL}"}

    return training.stream_training(work)


# ---- the causal language model ------------------------------------------------------------------

def train_lm(text: str | None, steps: Any = 30, learning_rate: Any = 1e-3,
             choice: str | None = None) -> Bridge[dict]:
    """A few steps of causal-LM training on `text` (empty: assets/lm_corpus.txt), on the bridge: progress dicts,
    then loss_start / loss_end on the whole text and greedy generations before and after."""
    text = corpus_path().read_text(encoding="utf-8") if not (text or "").strip() else text
    text = validate.text(text, "the training text", limits.LM_TEXT_CHARS)
    steps = validate.integer(steps, "steps", 1, limits.LM_STEPS)
    learning_rate = validate.number(learning_rate, "learning rate", limits.FINETUNE_LR_MIN, limits.FINETUNE_LR_MAX)
    resolved = _trainable("generate", choice)

    def work(emit, should_stop) -> dict | None:
        from models.snippets import causal_lm

        emit({"status": f"loading {resolved.choice}", "step": 0, "losses": []})
        model, tokenizer = fresh_causal_lm(resolved)
        if len(tokenizer(text)["input_ids"]) < 8:
            raise InputError("The training text is only a few tokens long; paste a paragraph or more.")
        result = causal_lm.fine_tune(model, tokenizer, text, steps, learning_rate, LM_BLOCK, LM_BATCH,
                                     LM_PROMPT_WORDS, LM_NEW_TOKENS, SEED, training.step_updates(emit), should_stop)
        return None if result is None else {**result, "status": "done"}

    return training.stream_training(work)


# ---- sentence pairs, MRPC-style -------------------------------------------------------------------

def base_tokenizer(choice: str | None = None) -> Any:
    """The fine-tuning base model's tokenizer alone (cached in state; the model itself is not loaded)."""
    location = loader.local_folder(_trainable("finetune", choice), weights=False)
    with state.lock:
        if location in state.base_tokenizers:
            return state.base_tokenizers[location]
    loaded = loader.transformers_attr("AutoTokenizer").from_pretrained(location)
    with state.lock:
        return state.base_tokenizers.setdefault(location, loaded)


def pair_batch(sentence1: str, sentence2: str, examples: Any = 3, choice: str | None = None) -> dict:
    """Pairs tokenized together ([CLS] a [SEP] b [SEP]) and padded into one batch by DataCollatorWithPadding.

    The user's pair comes first with label -100 (no label: the loss ignores it), then `examples`
    pairs of the project's set. Every tensor is returned as nested lists, with its shape.
    """
    from models.snippets import pairs

    first = validate.text(sentence1, "the first sentence", limits.FINETUNE_EXAMPLE_CHARS)
    second = validate.text(sentence2, "the second sentence", limits.FINETUNE_EXAMPLE_CHARS)
    count = validate.integer(examples, "pairs from the example set", 0, limits.PAIR_ROWS - 1)
    rows = [(first, second, -100), *pairs.read_paraphrases(str(paraphrases_path()))[:count]]
    return pairs.pair_batch(base_tokenizer(choice), rows, PAIR_MAX_TOKENS)


# ---- show code -----------------------------------------------------------------------------------

def classifier_code(csv_text: str | None, epochs: Any, learning_rate: Any, batch_size: Any,
                    labels: str | None = "", freeze_embeddings: bool = True, choice: str | None = None) -> str:
    """models/snippets/classifier.py and the calls that train the same classifier: prints what
    /train_classifier returns (but what only the app knows: where it saved it, the time it took)."""
    label_names = check_labels(parse_examples(csv_text), labels)
    settings = ClassifierSettings.checked(epochs, learning_rate, batch_size)
    resolved = _trainable("finetune", choice)
    if csv_text is None or not csv_text.strip():
        examples = f"examples = read_csv({snippets.project_file(example_set_path())!r}){snippets.FROM_PROJECT}"
    else:
        examples = f"examples = {parse_examples(csv_text)!r}"
    return snippets.program(
        ["classifier"], examples, f"labels = {label_names!r}",
        "model, tokenizer = " + snippets.call("new_classifier", repr(resolved.location_for_code), "labels",
                                              freeze_embeddings=bool(freeze_embeddings), seed=SEED,
                                              **resolved.device_kwargs),
        "train_set, test_set = " + snippets.call("stratified_split", "examples", test_fraction=TEST_FRACTION,
                                                 seed=SEED),
        "losses = " + snippets.call("train", "model", "tokenizer", "train_set", epochs=settings.epochs,
                                    learning_rate=settings.learning_rate, batch_size=settings.batch_size, seed=SEED),
        "print(json.dumps(evaluate(model, tokenizer, train_set, test_set, labels, losses)))")


def lm_code(text: str | None, steps: Any, learning_rate: Any = 1e-3, choice: str | None = None) -> str:
    """models/snippets/causal_lm.py and a call that trains the same language model: prints what /train_lm
    returns (but its status)."""
    steps = validate.integer(steps, "steps", 1, limits.LM_STEPS)
    learning_rate = validate.number(learning_rate, "learning rate", limits.FINETUNE_LR_MIN, limits.FINETUNE_LR_MAX)
    if text is None or not text.strip():
        corpus = snippets.project_file(corpus_path())
        source = (f"with open({corpus!r}, encoding=\"utf-8\") as handle:{snippets.FROM_PROJECT}\n"
                  "    text = handle.read()")
    else:
        source = f"text = {validate.text(text, 'the training text', limits.LM_TEXT_CHARS)!r}"
    return snippets.program(
        ["causal_lm"], _trainable("generate", choice).training_load_code("AutoModelForCausalLM"),
        source,
        "result = " + snippets.call("fine_tune", "model", "tokenizer", "text", steps=steps, learning_rate=learning_rate,
                                    block_size=LM_BLOCK, batch_size=LM_BATCH, prompt_words=LM_PROMPT_WORDS,
                                    new_tokens=LM_NEW_TOKENS, seed=SEED),
        "print(json.dumps(result))")


def pairs_code(sentence1: str, sentence2: str, examples: Any = 3, choice: str | None = None) -> str:
    """models/snippets/pairs.py and a call that builds the same padded batch: prints what /pair_view returns."""
    count = validate.integer(examples, "pairs from the example set", 0, limits.PAIR_ROWS - 1)
    resolved = _trainable("finetune", choice)
    return snippets.program(
        ["pairs"], "from transformers import AutoTokenizer\n\n"
        f"tokenizer = AutoTokenizer.from_pretrained({resolved.location_for_code!r}{resolved.tokenizer_args})",
        f"rows = [{(sentence1, sentence2, -100)!r}, "
        f"*read_paraphrases({snippets.project_file(paraphrases_path())!r})[:{count}]]"
        "  # -100: no label; the pairs: a file of the project's, run this in its folder",
        f"print(json.dumps(pair_batch(tokenizer, rows, max_tokens={PAIR_MAX_TOKENS})))")


def reload_code(text: str = "I would happily come back here.") -> str:
    """Code that saves the classifier Show code's program trained into a folder of the user's own
    (loader.MY_MODEL_FOLDER), reloads it and classifies a sentence. The app keeps its copy in its cache, whose path
    is not the caller's business."""
    folder = loader.MY_MODEL_FOLDER
    return (
        f"# after Show code's program: model.save_pretrained({folder!r}); tokenizer.save_pretrained({folder!r})\n"
        "from transformers import pipeline\n\n"
        f"classifier = pipeline(\"text-classification\", model={folder!r})\n"
        f"scores = classifier({text!r}, top_k=None)\n"
        "print({s[\"label\"]: round(s[\"score\"], 4) for s in scores})\n"
        f"# or serve it in the app: python app.py --model sentiment={folder}\n"
    )
