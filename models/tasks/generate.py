"""Text generation: greedy, sampling and beam search, streamed from a background thread, and what the model thought."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from models import limits, loader, remote, validate
from models.errors import InputError
from models.loader import ProgressCallback

STRATEGIES = ("greedy", "sampling", "beam search")
UPDATES_PER_SECOND = 20  # coalesce streamed tokens: no more page updates than this
# Even with no new token (beam search cannot stream), hand control back this often: gradio can only
# close a generator between two yields, and closing is how Stop and a vanished client stop the work.
HEARTBEAT_SECONDS = 0.25
TOP_ALTERNATIVES = 10  # the probability view: alternatives listed for each step
COMPARE_BEAMS = 4  # the side-by-side view's beam width unless asked otherwise
# Probability bands that colour each generated token: (label, lowest probability in the band).
BANDS = (("likely (≥ 50%)", 0.5), ("plausible (10–50%)", 0.1), ("unlikely (1–10%)", 0.01),
         ("surprising (< 1%)", 0.0))

_counter_lock = threading.Lock()
_running = 0
# Sampling draws from torch's process-wide RNG: one generation at a time keeps a seed's text exact,
# even when a cancelled run is still finishing its last step as the next one starts.
_generate_lock = threading.Lock()


def running() -> int:
    """How many generation threads are alive right now (a closed stream's thread ends within a step)."""
    with _counter_lock:
        return _running


def _count(delta: int) -> None:
    global _running
    with _counter_lock:
        _running += delta


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings, validated against the caps in models.limits."""

    max_new_tokens: int = 40
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    do_sample: bool = True
    num_return_sequences: int = 1
    seed: int = 0
    num_beams: int = 1
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0

    @classmethod
    def checked(cls, max_new_tokens, temperature, top_k, top_p, do_sample, num_return_sequences, seed,
                num_beams=1, repetition_penalty=1.0, no_repeat_ngram_size=0) -> GenerationSettings:
        """Settings from user values; a value out of range or a combination that cannot run is an InputError."""
        settings = cls(
            max_new_tokens=validate.integer(max_new_tokens, "max new tokens", 1, limits.GENERATE_NEW_TOKENS),
            temperature=validate.number(temperature, "temperature", 0.01, limits.TEMPERATURE_MAX),
            top_k=validate.integer(top_k, "top k", 0, limits.GENERATE_TOP_K),
            top_p=validate.number(top_p, "top p", 0.01, 1.0),
            do_sample=_flag(do_sample, "do_sample"),
            num_return_sequences=validate.integer(num_return_sequences, "number of sequences", 1,
                                                  limits.GENERATE_SEQUENCES),
            seed=validate.integer(seed, "seed", 0, limits.SEED_MAX),
            num_beams=validate.integer(num_beams, "number of beams", 1, limits.GENERATE_BEAMS),
            repetition_penalty=validate.number(repetition_penalty, "repetition penalty", 1.0,
                                               limits.REPETITION_PENALTY_MAX),
            no_repeat_ngram_size=validate.integer(no_repeat_ngram_size, "no-repeat n-gram size", 0,
                                                  limits.NO_REPEAT_NGRAM_MAX),
        )
        settings._check_combination()
        return settings

    @classmethod
    def for_strategy(cls, strategy: str, **values: Any) -> GenerationSettings:
        """Checked settings for "greedy", "sampling" or "beam search" (do_sample and num_beams follow)."""
        if strategy not in STRATEGIES:
            raise InputError(f"Unknown decoding strategy {strategy!r}; pick one of: {', '.join(STRATEGIES)}.")
        values = {**dataclasses.asdict(cls()), **values, "do_sample": strategy == "sampling"}
        if strategy != "beam search":
            values["num_beams"] = 1
        elif values["num_beams"] == 1:
            values["num_beams"] = COMPARE_BEAMS
        return cls.checked(**values)

    @property
    def strategy(self) -> str:
        """"greedy", "sampling" or "beam search"."""
        if self.do_sample:
            return "sampling"
        return "beam search" if self.num_beams > 1 else "greedy"

    @property
    def streams(self) -> bool:
        """transformers streamers do not support beam search: its text arrives at the end."""
        return self.num_beams == 1

    def _check_combination(self) -> None:
        if self.do_sample and self.num_beams > 1:
            raise InputError("Pick sampling or beam search, not both: set do_sample to False for beam search, "
                             "or the number of beams to 1 for sampling.")
        if self.strategy == "greedy" and self.num_return_sequences > 1:
            raise InputError("Greedy decoding always gives the same single sequence: ask for 1 sequence, "
                             "or use sampling or beam search to get several.")
        if self.strategy == "beam search" and self.num_return_sequences > self.num_beams:
            raise InputError(f"Beam search returns at most one sequence per beam: ask for at most "
                             f"{self.num_beams} sequences, or use more beams.")

    def generate_kwargs(self) -> dict:
        """Keyword arguments for model.generate: only those the strategy uses, and no defaults."""
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample}
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_k=self.top_k, top_p=self.top_p)
        if self.num_beams > 1:
            kwargs["num_beams"] = self.num_beams
        if self.num_return_sequences > 1:
            kwargs["num_return_sequences"] = self.num_return_sequences
        if self.repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = self.repetition_penalty
        if self.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        return kwargs


def _flag(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):  # some clients send checkboxes as 0/1
        return bool(value)
    raise InputError(f"{what} must be true or false; got {value!r}.")


class _Generation:
    """One model.generate call in a background thread; each step's new token ids arrive on a queue."""

    def __init__(self, loaded: loader.Loaded, prompt: str, settings: GenerationSettings) -> None:
        self.tokenizer, self.model, self.settings = loaded.tokenizer, loaded.model, settings
        self.inputs = self.tokenizer(prompt, return_tensors="pt")  # input_ids: (1, prompt_len)
        self.prompt_len = self.inputs["input_ids"].shape[1]
        self.steps: queue.Queue = queue.Queue()  # (sequences,) ids per step; None when generation ends
        self.stop = threading.Event()
        self._prompt_seen = False
        self._output = None  # (sequences, prompt_len + new) once generate() returns
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="generate", daemon=True)
        _count(+1)  # counted before start, so running() never misses a thread that is about to run
        self._thread.start()

    # transformers' streamer protocol (put/end), used for greedy and sampling only.
    def put(self, value) -> None:
        if not self._prompt_seen:  # generate() first sends the (expanded) prompt ids
            self._prompt_seen = True
            return
        self.steps.put(value.reshape(-1).tolist())  # (sequences,) one new id per sequence

    def end(self) -> None:
        pass  # _run signals the end itself, after the output is stored

    def _run(self) -> None:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        stop = self.stop

        class StopWhenAsked(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):  # input_ids: (sequences or beams, length)
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        try:
            with _generate_lock:
                if stop.is_set():  # closed while waiting for the previous run to finish
                    return
                torch.manual_seed(self.settings.seed)  # same seed and settings, same text
                self._output = self.model.generate(
                    **self.inputs, **self.settings.generate_kwargs(),
                    streamer=self if self.settings.streams else None,
                    pad_token_id=self.tokenizer.eos_token_id,
                    stopping_criteria=StoppingCriteriaList([StopWhenAsked()]))
        except BaseException as exc:  # re-raised in the consumer's thread by result()
            self._failure = exc
        finally:
            self.steps.put(None)
            _count(-1)

    def follow(self) -> Iterator[list[list[int]]]:
        """New ids per sequence so far, at most UPDATES_PER_SECOND times a second, and at least every
        HEARTBEAT_SECONDS (unchanged, when no token came); ends when generation does."""
        new_ids: list[list[int]] = [[] for _ in range(self.settings.num_return_sequences)]
        period, last, changed = 1 / UPDATES_PER_SECOND, time.monotonic(), False
        while True:
            try:
                step = self.steps.get(timeout=period)
            except queue.Empty:
                step = []
            if step is None:
                return
            for ids, token_id in zip(new_ids, step):
                ids.append(token_id)
            changed = changed or bool(step)
            elapsed = time.monotonic() - last
            if (changed and elapsed >= period) or elapsed >= HEARTBEAT_SECONDS:
                last, changed = time.monotonic(), False
                yield new_ids

    def result(self) -> list[list[int]]:
        """The new ids of every sequence (padding after the end token included) once generation ended."""
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self._output[:, self.prompt_len:].tolist()

    def close(self) -> None:
        """Ask the thread to stop at its next step. Never blocks: gradio closes generators on its event loop."""
        self.stop.set()


def _start(prompt: str, settings: GenerationSettings, choice: str | None,
           on_progress: ProgressCallback | None) -> _Generation:
    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)
    return _Generation(loader.get("generate", choice, on_progress), prompt, settings)


def _runs(prompt: str, settings: GenerationSettings, choice: str | None,
          on_progress: ProgressCallback | None) -> Iterator[tuple[_Generation, list[list[int]] | None]]:
    """(generation, new ids so far) while it runs, then (generation, None) once it has ended.

    Closing this iterator stops the generation thread at its next step.
    """
    with contextlib.closing(_start(prompt, settings, choice, on_progress)) as generation:
        for new_ids in generation.follow():
            yield generation, new_ids
        yield generation, None


def _texts(tokenizer, prompt: str, new_ids: list[list[int]]) -> list[str]:
    # The prompt as typed plus the decoded continuation: no re-tokenisation artefacts in the prompt.
    return [prompt + tokenizer.decode(ids, skip_special_tokens=True) for ids in new_ids]


def stream(prompt: str, settings: GenerationSettings, choice: str | None = None,
           on_progress: ProgressCallback | None = None) -> Iterator[list[str]]:
    """Yields the full texts of all sequences (prompt included) as they grow; the last yield is final.

    Beam search cannot stream: until it ends, the partial texts are the prompt alone; nor can a remote
    model, whose one yield is the final texts.
    Closing the iterator (Stop, or a client that went away) stops generation at the next step.
    """
    endpoint = _remote(choice, on_progress)
    if endpoint is not None:
        yield endpoint.remote.generate(_remote_request(prompt, settings))
        return
    for generation, new_ids in _runs(prompt, settings, choice, on_progress):
        yield _texts(generation.tokenizer, prompt, generation.result() if new_ids is None else new_ids)


def generate(prompt: str, settings: GenerationSettings, choice: str | None = None) -> list[str]:
    """The final texts of all sequences (the last value of `stream`)."""
    return collections.deque(stream(prompt, settings, choice), maxlen=1)[0]


# ---- what the model was thinking ------------------------------------------------------------

def band(probability: float) -> str:
    """The colour band of a token's probability (BANDS)."""
    return next(label for label, low in BANDS if probability >= low)


def thinking(prompt: str, settings: GenerationSettings, choice: str | None = None,
             on_progress: ProgressCallback | None = None, top: int = TOP_ALTERNATIVES) -> Iterator[dict]:
    """Generates like `stream`, then shows the first sequence step by step.

    Yields {"text": first sequence so far, "steps": []} while generating, then once more with "steps":
    for each generated token, {step, token, token_id, probability, band, alternatives: the `top` likeliest
    tokens at that step as {token, token_id, probability}}. Probabilities are the model's own (softmax
    of its logits, before temperature, top-k, top-p or penalties), so a sampled token may be unlikely.
    """
    if _remote(choice, on_progress) is not None:
        raise InputError("Token probabilities need the model's own scores, and a SageMaker endpoint returns "
                         "only text: pick a local model for this view (the Generate tab uses the endpoint).")
    for generation, new_ids in _runs(prompt, settings, choice, on_progress):
        if new_ids is not None:
            yield {"text": _texts(generation.tokenizer, prompt, new_ids[:1])[0], "steps": []}
            continue
        first = _until_end(generation.result()[0], generation.tokenizer.eos_token_id)
        yield {"text": _texts(generation.tokenizer, prompt, [first])[0],
               "steps": _steps(generation, first, top)}


def _until_end(ids: list[int], eos: int | None) -> list[int]:
    """A sequence's ids up to and including its first end token (what follows is padding)."""
    return ids[: ids.index(eos) + 1] if eos in ids else ids


def _steps(generation: _Generation, new_ids: list[int], top: int) -> list[dict]:
    import torch

    if not new_ids:
        return []
    tokenizer = generation.tokenizer
    prompt_ids = generation.inputs["input_ids"][0]  # (prompt_len,)
    full = torch.cat([prompt_ids, torch.tensor(new_ids)])[None]  # (1, prompt_len + new)
    with torch.inference_mode():
        # One teacher-forced pass over the finished text gives every step's distribution at once, for
        # any strategy (beam search's own scores belong to beams that were later dropped). Only the
        # logits that predicted a new token are kept: (1, new + 1, vocab), the last predicts nothing.
        logits = generation.model(input_ids=full, logits_to_keep=len(new_ids) + 1).logits
    probs = logits[0, :-1].float().softmax(-1)  # (new, vocab)
    best = probs.topk(min(top, probs.shape[-1]), dim=-1)  # values, indices: (new, top)
    steps = []
    for i, token_id in enumerate(new_ids):
        probability = float(probs[i, token_id])
        steps.append({
            "step": i + 1, "token": tokenizer.decode([token_id]), "token_id": token_id,
            "probability": probability, "band": band(probability),
            "alternatives": [{"token": tokenizer.decode([j]), "token_id": j, "probability": float(p)}
                             for p, j in zip(best.values[i].tolist(), best.indices[i].tolist())],
        })
    return steps


# ---- side by side -----------------------------------------------------------------------------

def compare(prompt: str, settings: GenerationSettings, choice: str | None = None,
            on_progress: ProgressCallback | None = None) -> Iterator[dict[str, str]]:
    """The same prompt decoded greedy, sampling and beam search, one after the other; yields
    {strategy: text so far} as they grow (a strategy not started yet is absent).

    Sampling uses the settings' temperature, top-k, top-p and seed; beam search their number of beams
    (COMPARE_BEAMS when that is 1); all three their length and repetition settings; one sequence each.
    """
    shared = {**dataclasses.asdict(settings), "num_return_sequences": 1}
    texts: dict[str, str] = {}
    for strategy in STRATEGIES:
        one = GenerationSettings.for_strategy(strategy, **shared)
        with contextlib.closing(stream(prompt, one, choice, on_progress)) as partials:
            for partial in partials:
                texts[strategy] = partial[0]
                yield dict(texts)


# ---- show code --------------------------------------------------------------------------------

def code(prompt: str, settings: GenerationSettings, choice: str | None = None) -> str:
    """Plain transformers code that prints what /generate returns (the first text, and all texts) as JSON.

    For a remote model: code that sends the same request to it and prints its answer.
    """
    endpoint = _remote(choice)
    if endpoint is not None:
        return remote.request_code(endpoint.resolved.choice,
                                   endpoint.remote.generate_body(_remote_request(prompt, settings)))
    resolved = loader.resolve("generate", choice)
    location = resolved.location_for_code
    kwargs = "".join(f"    {k}={v!r},\n" for k, v in settings.generate_kwargs().items())
    return (
        "import json\n\nimport torch\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
        f"tokenizer = AutoTokenizer.from_pretrained({location!r}{resolved.tokenizer_args})\n"
        # As the app loads it: revision, dtype, and eager attention (the kernel changes the last bits of each
        # score, and in bf16 that can change which token is sampled).
        f"model = AutoModelForCausalLM.from_pretrained({location!r}{resolved.from_pretrained_args}).eval()\n"
        f"prompt = {prompt!r}\n"
        "inputs = tokenizer(prompt, return_tensors=\"pt\")  # input_ids: (1, prompt_len)\n"
        f"torch.manual_seed({settings.seed})  # same seed and settings, same text\n"
        "output = model.generate(\n"
        f"    **inputs,\n{kwargs}"
        "    pad_token_id=tokenizer.eos_token_id,\n"
        ")  # (sequences, prompt_len + new tokens)\n"
        "new_tokens = output[:, inputs[\"input_ids\"].shape[1]:]\n"
        "texts = [prompt + tokenizer.decode(ids, skip_special_tokens=True) for ids in new_tokens]\n"
        "print(json.dumps([texts[0], texts]))  # what /generate returns: the first text, and all of them\n"
    )


# ---- remote models: a SageMaker endpoint generates in one call ---------------------------------

def _remote(choice: str | None, on_progress: ProgressCallback | None = None) -> loader.Loaded | None:
    """The loaded remote model when `choice` is one (e.g. sagemaker:NAME); None, loading nothing, otherwise."""
    if loader.resolve("generate", choice).source != "sagemaker":
        return None
    return loader.get("generate", choice, on_progress)


def _remote_request(prompt: str, settings: GenerationSettings) -> remote.GenerationRequest:
    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)
    return remote.GenerationRequest(prompt, settings.generate_kwargs(), settings.seed, _gpt2_tokens)


def _gpt2_tokens(text: str) -> int:
    """A text's length in GPT-2 tokens (the vocabulary of JumpStart's text-generation models), for payloads
    whose length limit counts the prompt."""
    tokenizer, _ = loader.tokenizer("gpt2")
    return len(tokenizer(text)["input_ids"])
