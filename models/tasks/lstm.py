"""LSTM lesson: an encoder-decoder LSTM trained here on English-German phrases (models/snippets/lstm.py),
compared with T5."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import config
import state
from models import limits, loader, snippets, training, validate
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
    "per input token and its cross-attention weighs all of them at every output step: the Why? tab's "
    "Cross-attention view (/cross_attention) draws T5's map for any sentence, and the link under \"Translate "
    "with both\" opens it on yours.")


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


def compare(choice: str | None = None) -> dict:
    """What the lesson shows: time per step, held-out BLEU-1 by length for the LSTM and T5, the attention note."""
    from models.snippets import lstm as reference

    trained = current()
    _, held_out = reference.split(reference.read_pairs(phrases_path()), HELD_OUT, SEED)
    t5 = reference.quality_by_length(
        held_out, lambda en: t5_german(en, choice, max_new_tokens=reference.cap(len(en.split()) + 2)))
    quality = [{**row, "t5": t5_row["bleu1"]} for row, t5_row in zip(trained.result["quality_by_length"], t5)]
    return {"time_per_step": reference.time_per_step(trained.sizes["hidden"], list(TIMED_LENGTHS), SEED),
            "quality_by_length": quality, "attention": ATTENTION_NOTE}


# ---- show code -----------------------------------------------------------------------------------

def train_code(steps: Any = 300, sizes: dict | None = None) -> str:
    """models/snippets/lstm.py and a call that trains the same LSTM: prints what /lstm_train returns (but its
    status)."""
    steps = validate.integer(steps, "steps", 1, limits.LSTM_STEPS)
    return snippets.program(
        ["lstm"], f"pairs = read_pairs({snippets.project_file(phrases_path())!r}){snippets.FROM_PROJECT}",
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


def compare_code(choice: str | None = None) -> str:
    """models/snippets/lstm.py and seq2seq.py: the saved LSTM and T5 on the held-out phrases, and the timing; prints
    what /lstm_compare returns (the times differ from run to run)."""
    from models.tasks import translate as t5

    trained = current()  # says "train first" when there is nothing to reload
    task = t5.task_named("German")
    return snippets.program(
        ["lstm", "seq2seq"], f"lstm_model, english_vocab, german_vocab = load({str(folder())!r})",
        f"_, held_out = split(read_pairs({snippets.project_file(phrases_path())!r}), held_out={HELD_OUT}, "
        f"seed={SEED}){snippets.FROM_PROJECT}",
        "lstm = quality_by_length(held_out, lambda english: translate(lstm_model, english_vocab, german_vocab, "
        "english))",
        loader.resolve("translate", choice).load_code("AutoModelForSeq2SeqLM"),
        "",
        "",
        "def t5_german(english):  # as the Translation tab translates it, capped like the LSTM's greedy decoding",
        f"    text_plan = plan(tokenizer, model, text=english, task={task!r},",
        "                     chosen={'max_new_tokens': cap(len(english.split()) + 2)}, per_sentence=True)",
        "    return generate(tokenizer, model, text_plan)",
        "",
        "",
        "t5 = quality_by_length(held_out, t5_german)",
        "quality = [{'bucket': ours['bucket'], 'phrases': ours['phrases'], 'lstm': ours['bleu1'], "
        "'t5': theirs['bleu1']}",
        "           for ours, theirs in zip(lstm, t5)]",
        f"timing = time_per_step({trained.sizes['hidden']}, {list(TIMED_LENGTHS)}, seed={SEED})",
        f"attention = {ATTENTION_NOTE!r}",
        "print(json.dumps({'time_per_step': timing, 'quality_by_length': quality, 'attention': attention}, "
        "ensure_ascii=False))")
