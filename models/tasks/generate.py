"""Text generation: greedy, sampling and beam search, streamed from the bridge, and what the model thought."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models import limits, loader, remote, snippets, stopping, validate
from models.errors import InputError
from models.loader import ProgressCallback
from serving.bridge import Bridge, Stopped, stop_requested

STRATEGIES = ("greedy", "sampling", "beam search")
# Coalesce streamed tokens: no more page updates than this. Each update costs the server and the client
# about 10 ms of CPU that the model's threads then lack (20/s made a stream 1.13x a plain generate, 10/s 1.05x).
UPDATES_PER_SECOND = 10
TOP_ALTERNATIVES = 10  # the probability view: alternatives listed for each step
COMPARE_BEAMS = 4  # the side-by-side view's beam width unless asked otherwise
# Probability bands that colour each generated token: (label, lowest probability in the band).
BANDS = (("likely (≥ 50%)", 0.5), ("plausible (10–50%)", 0.1), ("unlikely (1–10%)", 0.01),
         ("surprising (< 1%)", 0.0))

# Sampling draws from torch's process-wide RNG: one generation at a time keeps a seed's text exact,
# even when a cancelled run is still finishing its last step as the next one starts.
_generate_lock = threading.Lock()


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


def _generate(loaded: loader.Loaded, prompt: str, settings: GenerationSettings,
              on_step: Callable[[list[list[int]]], None]) -> tuple[Any, list[list[int]]]:
    """model.generate on this thread: (the tokenized prompt, the new ids of every sequence, padding after the end
    token included). After every step, on_step(the new ids of every sequence so far); beam search's running beams
    are not its results, so it gets empty lists until the end. Raises Stopped once the bridge running it is
    asked to stop (at the next step)."""
    import torch

    tokenizer = loaded.tokenizer
    inputs = tokenizer(prompt, return_tensors="pt").to(loaded.model.device)  # input_ids: (1, prompt_len)
    prompt_len = inputs["input_ids"].shape[1]
    validate.fits_positions(loaded.model, prompt_len, settings.max_new_tokens, tokenizer=tokenizer)  # before streaming
    nothing_yet = [[] for _ in range(settings.num_return_sequences)]

    def step(input_ids) -> None:  # (sequences, prompt_len + new so far); beam search: (running beams, ...)
        on_step(input_ids[:, prompt_len:].tolist() if settings.streams else nothing_yet)

    with _generate_lock:
        if not stop_requested():  # it may have been while waiting for the previous run to finish
            torch.manual_seed(settings.seed)  # same seed and settings, same text
            with torch.inference_mode():  # generate's own no_grad still tracks versions: 2-4% slower here
                output = loaded.model.generate(**inputs, **settings.generate_kwargs(),
                                               pad_token_id=tokenizer.eos_token_id,
                                               stopping_criteria=stopping.criteria(step))
    if stop_requested():  # cut short: nobody reads what it made
        raise Stopped
    return inputs, output[:, prompt_len:].tolist()  # (sequences, new)


def _texts(tokenizer, prompt: str, new_ids: list[list[int]]) -> list[str]:
    # The prompt as typed plus the decoded continuation: no re-tokenisation artefacts in the prompt.
    return [prompt + tokenizer.decode(ids, skip_special_tokens=True) for ids in new_ids]


def _streamed(work: Callable[..., Any], **options: Any) -> Bridge:
    return Bridge(work, name="generate", every=1 / UPDATES_PER_SECOND, **options)


def stream(prompt: str, settings: GenerationSettings, choice: str | None = None,
           on_progress: ProgressCallback | None = None) -> Bridge[list[str]]:
    """The full texts of all sequences (prompt included) as they grow, then the final texts.

    Beam search cannot stream: until it ends, the partial texts are the prompt alone; nor can a remote
    model, which gives the final texts only.
    Closing it (Stop, a client that went away, the time budget) stops generation at the next step.
    """
    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)

    def work(emit, should_stop) -> list[str]:
        endpoint = _remote(choice, on_progress)
        if endpoint is not None:
            return endpoint.remote.generate(_remote_request(prompt, settings))
        loaded = loader.get("generate", choice, on_progress)
        _, new_ids = _generate(loaded, prompt, settings, lambda ids: emit(_texts(loaded.tokenizer, prompt, ids)))
        return _texts(loaded.tokenizer, prompt, new_ids)

    return _streamed(work)


def generate(prompt: str, settings: GenerationSettings, choice: str | None = None) -> list[str]:
    """The final texts of all sequences (the result of `stream`)."""
    return stream(prompt, settings, choice).result()


# ---- what the model was thinking ------------------------------------------------------------

def thinking(prompt: str, settings: GenerationSettings, choice: str | None = None,
             on_progress: ProgressCallback | None = None, top: int = TOP_ALTERNATIVES) -> Bridge[dict]:
    """Generates like `stream`, then shows the first sequence step by step.

    Gives {"text": first sequence so far, "steps": []} while generating, then once more with "steps":
    for each generated token, {step, token, token_id, probability, band, alternatives: the `top` likeliest
    tokens at that step as {token, token_id, probability}} (models/snippets/generation.py). Probabilities are the
    model's own (softmax of its logits, before temperature, top-k, top-p or penalties), so a sampled token may be
    unlikely.
    """
    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)

    def work(emit, should_stop) -> dict:
        from models.snippets import generation

        loaded = _local(choice, on_progress, "Token probabilities")

        def first_text(new_ids: list[list[int]]) -> str:
            return _texts(loaded.tokenizer, prompt, new_ids[:1])[0]

        _, new_ids = _generate(loaded, prompt, settings, lambda ids: emit({"text": first_text(ids), "steps": []}))
        first = generation.until_end(new_ids[0], loaded.tokenizer.eos_token_id)
        # One teacher-forced pass over the finished text gives every step's distribution at once, for any strategy
        # (beam search's own scores belong to beams that were later dropped).
        return {"text": first_text([first]),
                "steps": generation.probabilities(loaded.model, loaded.tokenizer, prompt, first, top, BANDS)}

    return _streamed(work)


def _local(choice: str | None, on_progress: ProgressCallback | None, view: str) -> loader.Loaded:
    """The model, loaded in this app: a view that reads its scores or attention cannot use a remote endpoint."""
    _refuse_endpoint(choice, view)
    return loader.get("generate", choice, on_progress)


def _refuse_endpoint(choice: str | None, view: str) -> None:
    """An InputError, before anything loads, when `choice` is a SageMaker endpoint: it returns only text."""
    if loader.resolve("generate", choice).source == "sagemaker":
        raise InputError(f"{view} need the model's own numbers, and a SageMaker endpoint returns only text: pick a "
                         "local model for this view (the Generate button uses the endpoint).")


# ---- what each new token was written from --------------------------------------------------------

def attending(prompt: str, settings: GenerationSettings, layer: Any = 0, head: Any = -1, choice: str | None = None,
              on_progress: ProgressCallback | None = None) -> dict:
    """Generates like `stream` (the same settings and seed give the same tokens), then what the model looked at to
    write each new token of the first sequence, in `layer` and `head` (-1: the mean over all layers, or over the
    layer's heads): {text, tokens, prompt_tokens, layer, head, attention (new tokens x all tokens)}
    (models/snippets/generation.py). Runs on the calling thread: Stop and the time budget end the generation."""
    from models.snippets import generation

    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)
    loaded = _local(choice, on_progress, "Attention weights")
    config = loaded.model.config
    layer, head = validate.layer_and_head(layer, head, config.num_hidden_layers, config.num_attention_heads, mean=True)
    prompt_tokens = len(loaded.tokenizer(prompt)["input_ids"])
    if prompt_tokens + settings.max_new_tokens > limits.GENERATED_ATTENTION_TOKENS:
        raise InputError(f"This view draws every token: the prompt ({prompt_tokens} tokens) and the new tokens "
                         f"({settings.max_new_tokens}) may come to {limits.GENERATED_ATTENTION_TOKENS} tokens at most. "
                         "Shorten the prompt or ask for fewer new tokens.")

    def step(ids: list[list[int]]) -> None:
        if on_progress is not None and ids and ids[0]:
            on_progress(len(ids[0]) / settings.max_new_tokens, f"Generating: {len(ids[0])} of "
                                                               f"{settings.max_new_tokens} tokens")

    _, new_ids = _generate(loaded, prompt, settings, step)
    first = generation.until_end(new_ids[0], loaded.tokenizer.eos_token_id)
    return generation.attention(loaded.model, loaded.tokenizer, prompt, first, layer, head)


# ---- side by side -----------------------------------------------------------------------------

def compare(prompt: str, settings: GenerationSettings, choice: str | None = None,
            on_progress: ProgressCallback | None = None) -> Bridge[dict[str, str]]:
    """The same prompt decoded greedy, sampling and beam search, one after the other; gives
    {strategy: text so far} as they grow (a strategy not started yet is absent), then all three.

    Sampling uses the settings' temperature, top-k, top-p and seed; beam search their number of beams
    (COMPARE_BEAMS when that is 1); all three their length and repetition settings; one sequence each.
    """
    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)
    shared = {**dataclasses.asdict(settings), "num_return_sequences": 1}
    each = [(strategy, GenerationSettings.for_strategy(strategy, **shared)) for strategy in STRATEGIES]

    def work(emit, should_stop) -> dict[str, str]:
        endpoint = _remote(choice, on_progress)
        loaded = endpoint or loader.get("generate", choice, on_progress)
        texts: dict[str, str] = {}
        for strategy, one in each:
            def grown(ids: list[list[int]], strategy: str = strategy) -> None:
                emit({**texts, strategy: _texts(loaded.tokenizer, prompt, ids)[0]})

            if endpoint is not None:  # one call each, the final text only
                texts[strategy] = endpoint.remote.generate(_remote_request(prompt, one))[0]
                emit(dict(texts))
            else:
                texts[strategy] = _texts(loaded.tokenizer, prompt, _generate(loaded, prompt, one, grown)[1])[0]
        return texts

    return _streamed(work, phase=len)  # a strategy that starts shows at once


# ---- show code --------------------------------------------------------------------------------

IMPORTS = "import torch\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\n"


def code(prompt: str, settings: GenerationSettings, choice: str | None = None) -> str:
    """Plain transformers code that prints what /generate returns (the first text, and all texts) as JSON.

    For a remote model: code that sends the same request to it and prints its answer.
    """
    endpoint = _remote(choice)
    if endpoint is not None:
        return remote.request_code(endpoint.resolved.choice,
                                   endpoint.remote.generate_body(_remote_request(prompt, settings)))
    return (
        f"import json\n\n{IMPORTS}{_load_lines(choice)}{_generate_lines(prompt, settings)}"
        "texts = [prompt + tokenizer.decode(ids, skip_special_tokens=True) for ids in new_tokens]\n"
        "print(json.dumps([texts[0], texts]))  # what /generate returns: the first text, and all of them\n"
    )


def probabilities_code(prompt: str, settings: GenerationSettings, choice: str | None = None,
                       top: int = TOP_ALTERNATIVES) -> str:
    """models/snippets/generation.py, the same generation, then the call that prints /generate_probabilities'
    steps."""
    return _first_sequence_program(prompt, settings, choice, "Token probabilities",
                                   f"steps = probabilities(model, tokenizer, prompt, first, top={top},\n"
                                   f"                      bands={BANDS!r})",
                                   "print(json.dumps(steps, ensure_ascii=False))")


def attention_code(prompt: str, settings: GenerationSettings, layer: Any = 0, head: Any = -1,
                   choice: str | None = None) -> str:
    """models/snippets/generation.py, the same generation, then the call that prints /generate_attention's dict."""
    return _first_sequence_program(prompt, settings, choice, "Attention weights",
                                   f"result = attention(model, tokenizer, prompt, first, layer={int(layer)}, "
                                   f"head={int(head)})",
                                   "print(json.dumps(result, ensure_ascii=False))")


def compare_code(prompt: str, settings: GenerationSettings, choice: str | None = None) -> str:
    """Plain transformers code that decodes the prompt three ways as /generate_compare does and prints its three
    texts (for a remote model: the three requests it sends)."""
    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)
    shared = {**dataclasses.asdict(settings), "num_return_sequences": 1}
    each = {strategy: GenerationSettings.for_strategy(strategy, **shared) for strategy in STRATEGIES}
    if _remote(choice) is not None:
        return "\n\n".join(f"# ---- {strategy}\n{code(prompt, one, choice)}" for strategy, one in each.items())
    kwargs = "".join(f"    {strategy!r}: {one.generate_kwargs()!r},\n" for strategy, one in each.items())
    return (
        f"import json\n\n{IMPORTS}{_load_lines(choice)}"
        f"prompt = {prompt!r}\n"
        "inputs = tokenizer(prompt, return_tensors=\"pt\").to(model.device)  # input_ids: (1, prompt_len)\n"
        f"strategies = {{\n{kwargs}}}\n"
        "texts = []\n"
        "for strategy, kwargs in strategies.items():\n"
        f"    torch.manual_seed({settings.seed})  # before each, as the app does: sampling draws the same tokens\n"
        "    output = model.generate(**inputs, **kwargs, pad_token_id=tokenizer.eos_token_id)  # (1, prompt_len + new)"
        "\n"
        "    texts.append(prompt + tokenizer.decode(output[0, inputs[\"input_ids\"].shape[1]:], "
        "skip_special_tokens=True))\n"
        "print(json.dumps(texts))  # what /generate_compare returns: greedy, sampling, beam search\n"
    )


def _load_lines(choice: str | None) -> str:
    resolved = loader.resolve("generate", choice)
    location = resolved.location_for_code
    return (
        f"tokenizer = AutoTokenizer.from_pretrained({location!r}{resolved.tokenizer_args})\n"
        # As the app loads it: revision, dtype, and eager attention (the kernel changes the last bits of each
        # score, and in bf16 that can change which token is sampled; the attention view needs its weights), and
        # device.
        f"model = AutoModelForCausalLM.from_pretrained({location!r}{resolved.from_pretrained_args})"
        f"{snippets.moved_to(resolved.device)}.eval()\n"
    )


def _generate_lines(prompt: str, settings: GenerationSettings) -> str:
    """The lines that generate as the app does: `new_tokens` is (sequences, new tokens)."""
    kwargs = "".join(f"    {k}={v!r},\n" for k, v in settings.generate_kwargs().items())
    return (
        f"prompt = {prompt!r}\n"
        "inputs = tokenizer(prompt, return_tensors=\"pt\").to(model.device)  # input_ids: (1, prompt_len)\n"
        f"torch.manual_seed({settings.seed})  # same seed and settings, same text\n"
        "output = model.generate(\n"
        f"    **inputs,\n{kwargs}"
        "    pad_token_id=tokenizer.eos_token_id,\n"
        ")  # (sequences, prompt_len + new tokens)\n"
        "new_tokens = output[:, inputs[\"input_ids\"].shape[1]:]\n"
    )


def _first_sequence_program(prompt: str, settings: GenerationSettings, choice: str | None, view: str,
                            *lines: str) -> str:
    """The reference module, the generation, the first sequence's new ids as `first`, then `lines`."""
    _refuse_endpoint(choice, view)
    return snippets.program(
        ["generation"], f"from transformers import AutoModelForCausalLM, AutoTokenizer\n\n{_load_lines(choice)}"
                        f"{_generate_lines(prompt, settings)}"
                        "first = until_end(new_tokens[0].tolist(), tokenizer.eos_token_id)  # the first sequence",
        *lines)


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
