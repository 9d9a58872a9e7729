"""What summarization and translation share: task prefixes, 4.x generation settings, sentence chunks.

(QA shares the two SageMaker helpers at the end: an endpoint runs the 4.x pipeline itself.)

transformers 5 removed the summarization and translation pipelines. Their behaviour is kept here on
AutoModelForSeq2SeqLM: the task's prefix and settings come from the model's task_specific_params
(T5: "summarize: ", "translate English to German: "), the rest from its generation_config, and
input longer than the model takes is cut on sentence boundaries and done piece by piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from models import remote
from models.loader import Loaded, ProgressCallback, Resolved

# The 4.x text2text pipelines' own defaults, used where the model's generation_config has none.
PIPELINE_DEFAULTS = {"max_new_tokens": 256, "num_beams": 4}
GLOBAL_MAX_LENGTH = 20  # GenerationConfig's default max_length: "the model set none"
# A sentence ends at . ! ? or … followed by space (closing quotes and brackets stay with it),
# or at a line break.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’)\]])\s+|\s*\n\s*")


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


def max_input_tokens(loaded: Loaded) -> int:
    """How many tokens the encoder takes: the tokenizer's limit, capped by a learned position table."""
    limit = loaded.tokenizer.model_max_length
    positions = getattr(loaded.model.config, "max_position_embeddings", None)
    if positions:
        limit = min(limit, positions)
    return limit if limit < 100_000 else 512  # "no limit" sentinels: T5-like models were trained on 512


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of `text`, stripped, empty ones dropped."""
    return [part.strip() for part in _SENTENCE_BREAK.split(text.strip()) if part.strip()]


def _count(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _split_long(tokenizer, sentence: str, budget: int) -> list[str]:
    """A sentence longer than the budget, cut into pieces of at most `budget` tokens (at token boundaries)."""
    offsets = tokenizer(sentence, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    pieces = []
    for first in range(0, len(offsets), budget):
        last = min(first + budget, len(offsets)) - 1
        pieces.append(sentence[offsets[first][0]:offsets[last][1]].strip())
    return [p for p in pieces if p]


def chunks(tokenizer, text: str, budget: int, *, per_sentence: bool = False) -> list[str]:
    """`text` whole when it fits in `budget` tokens; else its sentences, packed up to the budget.

    per_sentence=True gives one sentence per piece (translation models are trained on sentences).
    """
    if _count(tokenizer, text) <= budget:
        return [text]
    pieces: list[str] = []
    for sentence in split_sentences(text):
        for part in _split_long(tokenizer, sentence, budget) if _count(tokenizer, sentence) > budget else [sentence]:
            joined = f"{pieces[-1]} {part}" if pieces and not per_sentence else None
            if joined is not None and _count(tokenizer, joined) <= budget:
                pieces[-1] = joined
            else:
                pieces.append(part)
    return pieces


@dataclass(frozen=True)
class Plan:
    """How a text is fed to a seq2seq model: prefix, pieces, generation settings, and what to tell the user."""

    prefix: str
    pieces: list[str]
    settings: dict[str, Any] = field(default_factory=dict)
    input_tokens: int = 0
    max_input: int = 0

    @property
    def note(self) -> str:
        if len(self.pieces) == 1:
            return ""
        return (f"The text is {self.input_tokens:,} tokens; the model reads at most {self.max_input:,} at a time, "
                f"so it was done in {len(self.pieces)} pieces cut on sentence boundaries, and the results joined.")


def plan(loaded: Loaded, text: str, task: str, settings: dict[str, Any], *, per_sentence: bool = False) -> Plan:
    """Prefix, pieces and settings for `text` on this model."""
    tokenizer = loaded.tokenizer
    task_prefix = prefix(loaded.model, task)
    max_input = max_input_tokens(loaded)
    budget = max_input - _count(tokenizer, task_prefix) - tokenizer.num_special_tokens_to_add()
    pieces = chunks(tokenizer, text, budget, per_sentence=per_sentence)
    return Plan(task_prefix, pieces, settings, _count(tokenizer, text), max_input)


def generate(loaded: Loaded, text_plan: Plan, on_progress: ProgressCallback | None = None,
             what: str = "Working") -> list[str]:
    """Each piece through model.generate with the plan's settings; the decoded texts in order."""
    import torch

    tokenizer, model = loaded.tokenizer, loaded.model
    results = []
    for i, piece in enumerate(text_plan.pieces):
        if on_progress and len(text_plan.pieces) > 1:
            on_progress(i / len(text_plan.pieces), f"{what}: piece {i + 1} of {len(text_plan.pieces)}")
        # input_ids: (1, tokens); truncation only guards the position table, the plan already fits.
        inputs = tokenizer(text_plan.prefix + piece, return_tensors="pt", truncation=True,
                           max_length=text_plan.max_input)
        inputs.pop("token_type_ids", None)
        with torch.inference_mode():
            output = model.generate(**inputs, **text_plan.settings)  # (1, new tokens)
        results.append(tokenizer.decode(output[0], skip_special_tokens=True, clean_up_tokenization_spaces=False))
    return results


def code(resolved: Resolved, text_plan: Plan, joiner: str = " ") -> str:
    """Plain transformers code that runs the same plan and prints the same text."""
    settings = ", ".join(f"{k}={v!r}" for k, v in text_plan.settings.items())
    location = resolved.location_for_code
    return (
        "import torch\nfrom transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n\n"
        f"tokenizer = AutoTokenizer.from_pretrained({location!r}{resolved.tokenizer_args})\n"
        f"model = AutoModelForSeq2SeqLM.from_pretrained({location!r}{resolved.from_pretrained_args}).eval()\n"
        f"prefix = {text_plan.prefix!r}  # from the model's config (task_specific_params)\n"
        f"pieces = {text_plan.pieces!r}  # the text, cut on sentence boundaries if it is too long\n"
        "outputs = []\n"
        "for piece in pieces:\n"
        "    inputs = tokenizer(prefix + piece, return_tensors=\"pt\", truncation=True,\n"
        f"                       max_length={text_plan.max_input})\n"
        "    inputs.pop(\"token_type_ids\", None)\n"
        "    with torch.inference_mode():\n"
        f"        ids = model.generate(**inputs, {settings})\n"
        "    outputs.append(tokenizer.decode(ids[0], skip_special_tokens=True, clean_up_tokenization_spaces=False))\n"
        f"print({joiner!r}.join(outputs))\n"
    )


# ---- SageMaker endpoints: the Hugging Face container runs transformers 4.x's own pipeline ------

def remote_call(loaded: Loaded, inputs: Any, parameters: dict[str, Any]) -> list[dict]:
    """Call the endpoint like the 4.x pipeline; its answer as a list of dicts."""
    result = loaded.remote(inputs, **parameters)
    return result if isinstance(result, list) else [result]


def remote_code(endpoint: str, inputs: Any, parameters: dict[str, Any]) -> str:
    """Code that sends the same request to the SageMaker endpoint and prints its JSON answer."""
    return remote.request_code(remote.SAGEMAKER_PREFIX + endpoint, {"inputs": inputs, "parameters": parameters})
