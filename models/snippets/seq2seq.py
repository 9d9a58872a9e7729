"""Summarization and translation as transformers 4.x's pipelines did them (5.x removed both).

On AutoModelForSeq2SeqLM: the task's prefix and settings come from the model's task_specific_params
(T5: "summarize: ", "translate English to German: "), the rest from its generation_config; a text
longer than the encoder takes is cut on sentence boundaries and done piece by piece, then joined.

The Summarization and Translation tabs run this file, and their Show code prints it: it runs on its own.
"""

import re
from dataclasses import dataclass, field
from typing import Any

import torch

# The 4.x text2text pipelines' own defaults, used where the model's generation_config has none.
PIPELINE_DEFAULTS = {"max_new_tokens": 256, "num_beams": 4}
GLOBAL_MAX_LENGTH = 20  # GenerationConfig's default max_length: "the model set none"
# A sentence ends at . ! ? or … followed by space (closing quotes and brackets stay with it),
# or at a line break.
SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’)\]])\s+|\s*\n\s*")


def task_params(model, task: str) -> dict[str, Any]:
    """The model's task_specific_params for `task` ("summarization", "translation_en_to_de"), prefix included."""
    params = getattr(model.config, "task_specific_params", None) or {}
    return dict(params.get(task) or {})


def prefix(model, task: str) -> str:
    """The text put before every input: the task's prefix, else the config's (distilbart: " ")."""
    params = task_params(model, task)
    if "prefix" in params:
        return params["prefix"] or ""
    return getattr(model.config, "prefix", None) or ""


def pipeline_settings(model, task: str) -> dict[str, Any]:
    """The generation settings transformers 4.57's pipeline(task) used on this model, beyond its generation_config.

    4.57 started from max_new_tokens=256 and 4 beams, let the model's generation_config override
    them (a model max_length other than 20 replaced max_new_tokens), then applied the task's params.
    """
    config = model.generation_config
    beams = config.num_beams if config.num_beams != 1 else PIPELINE_DEFAULTS["num_beams"]
    settings: dict[str, Any] = {"num_beams": beams}
    if config.max_new_tokens is None and config.max_length in (None, GLOBAL_MAX_LENGTH):
        settings["max_new_tokens"] = PIPELINE_DEFAULTS["max_new_tokens"]
    settings.update({k: v for k, v in task_params(model, task).items() if k != "prefix"})
    if "max_new_tokens" in settings:
        settings.pop("max_length", None)  # generate() lets max_new_tokens win anyway: say only what counts
    return settings


def generation_settings(model, task: str, chosen: dict[str, Any]) -> dict[str, Any]:
    """The 4.x pipeline's settings with the user's `chosen` ones on top."""
    settings = pipeline_settings(model, task)
    if "max_new_tokens" in chosen:
        settings.pop("max_length", None)
    if "min_new_tokens" in chosen:  # generate() lets it replace the model's min_length (distilbart: 56)
        settings.pop("min_length", None)
    return {**settings, **_within_decoder(model, settings, chosen), **chosen}


def _within_decoder(model, settings: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """A default length past the decoder's learned position table (BART's max_position_embeddings), capped to it:
    generate() would fail part-way there. The user's own lengths are checked before this (the app says so)."""
    positions = getattr(model.config, "max_position_embeddings", None)
    if not positions or "max_new_tokens" in chosen:
        return {}
    if "max_new_tokens" in settings:  # the pipeline's 256
        return {"max_new_tokens": positions - 1} if settings["max_new_tokens"] > positions - 1 else {}
    max_length = settings.get("max_length", model.generation_config.max_length)  # start token included
    return {"max_length": positions} if max_length and max_length > positions else {}


def max_input_tokens(tokenizer, model) -> int:
    """How many tokens the encoder takes: the tokenizer's limit, capped by a learned position table."""
    limit = tokenizer.model_max_length
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions:
        limit = min(limit, positions)
    return limit if limit < 100_000 else 512  # "no limit" sentinels: T5-like models were trained on 512


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of `text`, stripped, empty ones dropped."""
    return [part.strip() for part in SENTENCE_BREAK.split(text.strip()) if part.strip()]


def count_tokens(tokenizer, text: str) -> int:
    """Tokens of `text` without special tokens."""
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _split_long(tokenizer, sentence: str, budget: int) -> list[str]:
    """A sentence longer than the budget, cut into pieces of at most `budget` tokens (at token boundaries)."""
    offsets = tokenizer(sentence, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    pieces = []
    for first in range(0, len(offsets), budget):
        last = min(first + budget, len(offsets)) - 1
        pieces.append(sentence[offsets[first][0]:offsets[last][1]].strip())
    return [p for p in pieces if p]


def chunks(tokenizer, text: str, budget: int, per_sentence: bool = False) -> list[str]:
    """`text` whole when it fits in `budget` tokens; else its sentences, packed up to the budget.

    per_sentence=True gives one sentence per piece (translation models are trained on sentences).
    """
    if count_tokens(tokenizer, text) <= budget:
        return [text]
    pieces: list[str] = []
    for sentence in split_sentences(text):
        too_long = count_tokens(tokenizer, sentence) > budget
        for part in _split_long(tokenizer, sentence, budget) if too_long else [sentence]:
            joined = f"{pieces[-1]} {part}" if pieces and not per_sentence else None
            if joined is not None and count_tokens(tokenizer, joined) <= budget:
                pieces[-1] = joined
            else:
                pieces.append(part)
    return pieces


@dataclass(frozen=True)
class Plan:
    """How a text is fed to the model: prefix, pieces, generation settings, and the sizes that decided it."""

    prefix: str
    pieces: list[str]
    settings: dict[str, Any] = field(default_factory=dict)
    input_tokens: int = 0
    max_input: int = 0


def plan(tokenizer, model, text: str, task: str, chosen: dict[str, Any], per_sentence: bool = False) -> Plan:
    """Prefix, pieces and settings for `text` on this model; `chosen`: the user's generation settings."""
    task_prefix = prefix(model, task)
    max_input = max_input_tokens(tokenizer, model)
    budget = max_input - count_tokens(tokenizer, task_prefix) - tokenizer.num_special_tokens_to_add()
    pieces = chunks(tokenizer, text, budget, per_sentence)
    return Plan(task_prefix, pieces, generation_settings(model, task, chosen), count_tokens(tokenizer, text),
                max_input)


def generate(tokenizer, model, text_plan: Plan, on_piece=None, stopping_criteria=None) -> str:
    """Each piece through model.generate with the plan's settings; the decoded texts joined by spaces.

    on_piece(i, count) is called before each piece; stopping_criteria, if given, goes to model.generate (the app
    ends a request that was stopped with it).
    """
    results = []
    for i, piece in enumerate(text_plan.pieces):
        if on_piece:
            on_piece(i, len(text_plan.pieces))
        # input_ids: (1, tokens); truncation only guards the position table, the plan already fits.
        inputs = tokenizer(text_plan.prefix + piece, return_tensors="pt", truncation=True,
                           max_length=text_plan.max_input)
        inputs.pop("token_type_ids", None)
        with torch.inference_mode():
            output = model.generate(**inputs, **text_plan.settings, stopping_criteria=stopping_criteria)  # (1, new)
        results.append(tokenizer.decode(output[0], skip_special_tokens=True, clean_up_tokenization_spaces=False))
    return " ".join(results)
