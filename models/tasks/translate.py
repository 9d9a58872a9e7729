"""Translation from English: T5 with a prefix per target language, or a Marian model per language pair."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from models import limits, loader, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import seq2seq

if TYPE_CHECKING:
    from models.snippets.seq2seq import Plan

LANGUAGE_NAMES = {
    "de": "German", "fr": "French", "ro": "Romanian", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "sv": "Swedish", "fi": "Finnish", "ru": "Russian", "zh": "Chinese", "ar": "Arabic", "hi": "Hindi",
}
T5_TASK = re.compile(r"^translation_en_to_([a-z]{2,3})$")
MARIAN_ID = re.compile(r"opus-mt-en-([a-z]{2,3})(?:$|[^a-z])", re.IGNORECASE)
ENDPOINT_TASK = "translation_en_to_de"  # the task this project deploys translation endpoints with


def _name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _marian_target(choice: str) -> str | None:
    """The target language of an opus-mt-en-XX checkpoint, read from its id (Marian configs do not say)."""
    match = MARIAN_ID.search(choice)
    return match.group(1).lower() if match else None


def offered(choice: str | None = None) -> list[str]:
    """The target languages to offer for a model, without loading it (for the language dropdown)."""
    marian = _marian_target(loader.chosen("translate", choice))
    return [_name(marian)] if marian else [_name(c) for c in ("de", "fr", "ro")]  # t5-small's three


def languages(loaded: loader.Loaded, choice: str | None = None) -> dict[str, str]:
    """Language name -> task key ("translation_en_to_de") for the model the user chose, once loaded.

    A Marian checkpoint translates into the one language its id names; a T5-style model into each
    language its task_specific_params have a translation_en_to_XX entry for. (The choice is passed:
    one loaded copy serves every choice with the same offline stand-in.)
    """
    choice = loader.chosen("translate", choice)
    if loaded.remote is not None:  # the endpoint's pipeline was built for one pair
        return {_name(ENDPOINT_TASK.rsplit("_", 1)[-1]): ENDPOINT_TASK}
    marian = _marian_target(choice)
    if marian:
        return {_name(marian): f"translation_en_to_{marian}"}
    params = getattr(loaded.model.config, "task_specific_params", None) or {}
    found = {_name(m.group(1)): key for key in params if (m := T5_TASK.match(key))}
    if not found:
        raise InputError(f"The model {choice} does not say which languages it translates into "
                         "(no translation_en_to_XX in its config, no opus-mt-en-XX in its name). Pick another model.")
    return found


def task_named(target_language: str) -> str:
    """The task key for a language given by name or code ("German", "de" -> "translation_en_to_de")."""
    wanted = validate.text(target_language, "a target language", 40).strip().lower()
    code = next((c for c, name in LANGUAGE_NAMES.items() if wanted in (c, name.lower())), wanted)
    return f"translation_en_to_{code}"


def _task_for(loaded: loader.Loaded, choice: str | None, target_language: str) -> str:
    offered_here = languages(loaded, choice)
    task = task_named(target_language)
    if task in offered_here.values():
        return task
    model_name = loader.chosen("translate", choice)
    raise InputError(f"Unknown target language {target_language!r} for {model_name}. "
                     f"Pick one of: {', '.join(offered_here)}.")


def _length(max_new_tokens: int | None) -> dict:
    if max_new_tokens is None:
        return {}
    return {"max_new_tokens": validate.integer(max_new_tokens, "max new tokens", 1, limits.SEQ2SEQ_NEW_TOKENS)}


def make_plan(text: str, target_language: str, choice: str | None = None,
              on_progress: ProgressCallback | None = None,
              max_new_tokens: int | None = None) -> tuple[loader.Loaded, Plan | None]:
    """The model, and how the text is fed to it: the language's prefix, sentences if long, settings;
    built once per request. No plan for a SageMaker endpoint: its own pipeline does all that.
    """
    text = validate.text(text, "a text to translate", limits.TRANSLATE_CHARS)
    length = _length(max_new_tokens)
    loaded = loader.get("translate", choice, on_progress)
    task = _task_for(loaded, choice, target_language)
    if loaded.remote is not None:
        return loaded, None
    return loaded, seq2seq.plan(loaded, text, task, length, per_sentence=True,
                                most_steps=limits.TRANSLATE_DECODE_STEPS)


def translate(text: str, target_language: str, choice: str | None = None,
              on_progress: ProgressCallback | None = None, max_new_tokens: int | None = None) -> str:
    """The translation; a text longer than the model takes is translated sentence by sentence."""
    loaded, text_plan = make_plan(text, target_language, choice, on_progress, max_new_tokens)
    if text_plan is None:
        parameters = {"truncation": True, **_length(max_new_tokens)}
        return seq2seq.remote_call(loaded, text, parameters)[0]["translation_text"]
    return seq2seq.generate(loaded, text_plan, on_progress, "Translating")


def note(text: str, target_language: str, choice: str | None = None, max_new_tokens: int | None = None) -> str:
    """What the user should know about how the text was translated ("" when it fit in one go)."""
    return seq2seq.note(make_plan(text, target_language, choice, max_new_tokens=max_new_tokens)[1])


def code_lines(text: str, target_language: str, choice: str | None = None, max_new_tokens: int | None = None,
               output: str = "output") -> list[str]:
    """Show code's footer lines that translate `text` as `translate` does, into the variable `output`."""
    resolved = loader.resolve("translate", choice)
    return seq2seq.code_lines(resolved, text, task_named(target_language), _length(max_new_tokens), True, output)


def code(text: str, target_language: str, choice: str | None = None, max_new_tokens: int | None = None) -> str:
    """models/snippets/seq2seq.py and a call on these inputs: prints what `translate` returns."""
    resolved = loader.resolve("translate", choice)
    if resolved.source == "sagemaker":
        parameters = {"truncation": True, **_length(max_new_tokens)}
        return seq2seq.remote_code(resolved.location, text, parameters)
    return snippets.program(["seq2seq"], *code_lines(text, target_language, choice, max_new_tokens),
                            "print(output)")
