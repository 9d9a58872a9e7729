"""Summarization: an encoder-decoder model writes a shorter text, piece by piece when the text is long."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import limits, loader, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import seq2seq

if TYPE_CHECKING:
    from models.snippets.seq2seq import Plan

TASK = "summarization"  # the key of task_specific_params (T5's prefix "summarize: ")


@dataclass(frozen=True)
class SummarySettings:
    """What the user sets; None means "the model's own default" (its config / generation_config)."""

    max_new_tokens: int | None = None
    min_new_tokens: int | None = None
    num_beams: int | None = None
    length_penalty: float | None = None
    no_repeat_ngram_size: int | None = None

    @classmethod
    def checked(cls, max_new_tokens=None, min_new_tokens=None, num_beams=None, length_penalty=None,
                no_repeat_ngram_size=None) -> SummarySettings:
        def maybe(check, value, *args):
            return None if value is None else check(value, *args)

        settings = cls(
            max_new_tokens=maybe(validate.integer, max_new_tokens, "max new tokens", 1, limits.SEQ2SEQ_NEW_TOKENS),
            min_new_tokens=maybe(validate.integer, min_new_tokens, "min new tokens", 0, limits.SEQ2SEQ_NEW_TOKENS),
            num_beams=maybe(validate.integer, num_beams, "beams", 1, limits.SEQ2SEQ_BEAMS),
            length_penalty=maybe(validate.number, length_penalty, "length penalty", 0.0, limits.LENGTH_PENALTY_MAX),
            no_repeat_ngram_size=maybe(validate.integer, no_repeat_ngram_size, "no-repeat n-gram size", 0,
                                       limits.NO_REPEAT_NGRAM_MAX),
        )
        if None not in (settings.max_new_tokens, settings.min_new_tokens) and \
                settings.min_new_tokens > settings.max_new_tokens:
            raise InputError(f"Min new tokens ({settings.min_new_tokens}) is above max new tokens "
                             f"({settings.max_new_tokens}); lower the minimum or raise the maximum.")
        return settings

    def given(self) -> dict:
        """Only what the user set: the generation settings that replace the model's own."""
        return {name: value for name, value in self.__dict__.items() if value is not None}


# What each setting left empty means, in the model's own terms: the name generate() reads it under.
OWN_NAMES = {"max_new_tokens": ("max_new_tokens", "max_length"), "min_new_tokens": ("min_new_tokens", "min_length"),
             "num_beams": ("num_beams",), "length_penalty": ("length_penalty",),
             "no_repeat_ngram_size": ("no_repeat_ngram_size",)}


def model_defaults(choice: str | None = None) -> dict[str, str]:
    """For each SummarySettings field, what the model uses when it is left empty, as the page shows it
    ("128 (max_length)", "2.0"): its generation_config under the 4.x pipeline's settings. Reads the config files
    only (no weights); nothing for a SageMaker endpoint, whose container decides."""
    from types import SimpleNamespace

    from transformers import AutoConfig, GenerationConfig

    from models.snippets import seq2seq as reference

    resolved = loader.resolve("summarize", choice)
    if resolved.source == "sagemaker":
        return {}
    folder = loader.local_folder(resolved, weights=False)
    model_config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    try:
        generation = GenerationConfig.from_pretrained(folder)
    except OSError:  # no generation_config.json: generate() derives one from config.json
        generation = GenerationConfig.from_model_config(model_config)
    own = {**generation.to_dict(), **reference.generation_settings(
        SimpleNamespace(config=model_config, generation_config=generation), TASK, {})}
    shown = {}
    for field, names in OWN_NAMES.items():
        name = next((n for n in names if own.get(n) is not None), names[0])
        value = own.get(name)
        shown[field] = f"{value} ({name})" if name != field else str(value)
    return shown


def make_plan(text: str, settings: SummarySettings, choice: str | None = None,
              on_progress: ProgressCallback | None = None) -> tuple[loader.Loaded, Plan | None]:
    """The model, and how the text is fed to it (pieces, prefix, settings): built once per request;
    no plan for a SageMaker endpoint (its own pipeline does all that)."""
    text = validate.text(text, "a text to summarize", limits.SUMMARIZE_CHARS)
    loaded = loader.get("summarize", choice, on_progress)
    if loaded.remote is not None:
        return loaded, None
    return loaded, seq2seq.plan(loaded, text, TASK, settings.given(), most_steps=limits.SUMMARIZE_DECODE_STEPS)


def summarize(text: str, settings: SummarySettings, choice: str | None = None,
              on_progress: ProgressCallback | None = None) -> str:
    """The summary; a text longer than the model takes is summarized piece by piece and joined."""
    loaded, text_plan = make_plan(text, settings, choice, on_progress)
    if text_plan is None:
        return seq2seq.remote_call(loaded, text, {"truncation": True, **settings.given()})[0]["summary_text"]
    return seq2seq.generate(loaded, text_plan, on_progress, "Summarizing")


def note(text: str, settings: SummarySettings, choice: str | None = None) -> str:
    """What the user should know about how the text was summarized ("" when it fit in one go)."""
    return seq2seq.note(make_plan(text, settings, choice)[1])


def code(text: str, settings: SummarySettings, choice: str | None = None) -> str:
    """models/snippets/seq2seq.py and a call on these inputs: prints what `summarize` returns."""
    resolved = loader.resolve("summarize", choice)
    if resolved.source == "sagemaker":
        return seq2seq.remote_code(resolved.location, text, {"truncation": True, **settings.given()})
    return snippets.program(["seq2seq"], *seq2seq.code_lines(resolved, text, TASK, settings.given()), "print(output)")
