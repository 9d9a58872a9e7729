"""What summarization and translation share around models/snippets/seq2seq.py: one plan per request, the note
about it, its Show code footer, and the SageMaker calls (QA uses those too: an endpoint runs the 4.x pipeline).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from models import remote, snippets, stopping, validate
from models.errors import InputError
from models.loader import Loaded, ProgressCallback, Resolved
from serving.bridge import Stopped, stop_requested

if TYPE_CHECKING:  # the module imports torch: at run time it is imported where it is used
    from models.snippets.seq2seq import Plan

RECENT_PLANS = 32  # plans kept so that a click's note (a second event) reuses the plan its run built
_recent: OrderedDict[tuple, Plan] = OrderedDict()
_recent_lock = threading.Lock()


def plan(loaded: Loaded, text: str, task: str, chosen: dict[str, Any], per_sentence: bool = False,
         most_steps: int | None = None) -> Plan:
    """How `text` is fed to this model, built once for the same request (run, note); with `most_steps`, a plan
    whose pieces could take more decoding steps than that in all is refused before anything runs."""
    from models.snippets import seq2seq as reference

    if most_steps is not None:  # a text far too long is refused before the (slower) cut into pieces
        _within_steps(loaded, reference.generation_settings(loaded.model, task, chosen),
                      -(-reference.count_tokens(loaded.tokenizer, text) // reference.max_input_tokens(
                          loaded.tokenizer, loaded.model)), most_steps)
    key = (loaded.resolved.cache_key, text, task, tuple(chosen.items()), per_sentence)
    with _recent_lock:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key]
    built = reference.plan(loaded.tokenizer, loaded.model, text, task, chosen, per_sentence)
    _fits_decoder(loaded.model, chosen)
    if most_steps is not None:
        _within_steps(loaded, built.settings, len(built.pieces), most_steps)
    with _recent_lock:
        _recent[key] = built
        while len(_recent) > RECENT_PLANS:
            _recent.popitem(last=False)
    return built


def _fits_decoder(model: Any, chosen: dict[str, Any]) -> None:
    """The lengths the user chose must fit the decoder's position table (BART, Marian: the output runs from one
    start token through every new token); past it, generation fails mid-way. The encoder's side is the plan's
    pieces. T5's relative positions have no table."""
    limit = validate.position_table(model)
    for key, label in (("max_new_tokens", "Max new tokens"), ("min_new_tokens", "Min new tokens")):
        if limit is not None and chosen.get(key) is not None and chosen[key] > limit - 1:
            raise InputError(f"{label} is {chosen[key]:,}; this model writes at most {limit - 1:,} tokens (its "
                             f"decoder has {limit:,} positions). Lower it to {limit - 1:,} at most.")


def _within_steps(loaded: Loaded, settings: dict[str, Any], pieces: int, most: int) -> None:
    """Each of the `pieces` may decode up to its longest output (max new tokens, else the model's max_length), and a
    model with random weights (the offline pack) goes all the way: refuse what could take more steps than `most`
    (limits.py gives the time a step takes) rather than surprise the user minutes later."""
    longest = settings.get("max_new_tokens") or settings.get("max_length") or loaded.model.generation_config.max_length
    if pieces * longest <= most:
        return
    raise InputError(f"This text makes at least {pieces:,} pieces for this model, each up to {longest:,} new tokens: "
                     f"{pieces * longest:,} decoding steps, and one request takes at most {most:,} (about a minute on "
                     f"this server). Shorten the text, or lower max new tokens to {max(most // pieces, 1):,}.")


def generate(loaded: Loaded, text_plan: Plan, on_progress: ProgressCallback | None = None,
             what: str = "Working") -> str:
    """The plan's pieces through the model, joined; progress per piece when there are several.

    Asked to stop (the request's time budget, a cancel), it does at the next decoding step and raises Stopped.
    """
    from models.snippets import seq2seq as reference

    def on_piece(i: int, count: int) -> None:
        if stop_requested():
            raise Stopped
        if on_progress and count > 1:
            on_progress(i / count, f"{what}: piece {i + 1} of {count}")

    joined = reference.generate(loaded.tokenizer, loaded.model, text_plan, on_piece, stopping.criteria())
    if stop_requested():  # the last piece was cut short
        raise Stopped
    return joined


def note(text_plan: Plan | None) -> str:
    """What the user should know about how the text was fed to the model ("" when it fit in one go)."""
    if text_plan is None or len(text_plan.pieces) == 1:
        return ""
    return (f"The text is {text_plan.input_tokens:,} tokens; the model reads at most {text_plan.max_input:,} at a "
            f"time, so it was done in {len(text_plan.pieces)} pieces cut on sentence boundaries, and the results "
            "joined.")


def code_lines(resolved: Resolved, text: str, task: str, chosen: dict[str, Any], per_sentence: bool = False,
               output: str = "output") -> list[str]:
    """Footer lines that run models/snippets/seq2seq.py on these inputs into the variable `output`."""
    return [resolved.load_code("AutoModelForSeq2SeqLM"),
            "text_plan = " + snippets.call("plan", "tokenizer", "model", text=text, task=task, chosen=chosen,
                                           per_sentence=per_sentence),
            f"{output} = generate(tokenizer, model, text_plan)"]


# ---- SageMaker endpoints: the Hugging Face container runs transformers 4.x's own pipeline ------

def remote_call(loaded: Loaded, inputs: Any, parameters: dict[str, Any]) -> list[dict]:
    """Call the endpoint like the 4.x pipeline; its answer as a list of dicts."""
    result = loaded.remote(inputs, **parameters)
    return result if isinstance(result, list) else [result]


def remote_code(endpoint: str, inputs: Any, parameters: dict[str, Any]) -> str:
    """Code that sends the same request to the SageMaker endpoint and prints its JSON answer."""
    return remote.request_code(remote.SAGEMAKER_PREFIX + endpoint, {"inputs": inputs, "parameters": parameters})
