"""The sampling distribution: the next token's probabilities before and after generate()'s processors."""

from __future__ import annotations

from models import limits, snippets, validate
from models.loader import ProgressCallback
from models.tasks import why_common


def _checked(temperature: object, top_k: object, top_p: object) -> tuple[float, int, float]:
    # The same ranges as /generate, so a setting that works there works here.
    return (validate.number(temperature, "temperature", 0.01, limits.TEMPERATURE_MAX),
            validate.integer(top_k, "top k", 0, limits.GENERATE_TOP_K),
            validate.number(top_p, "top p", 0.01, 1.0))


def distribution(prompt: str, temperature: float = 1.0, top_k: int = 50, top_p: float = 1.0,
                 choice: str | None = None, on_progress: ProgressCallback | None = None) -> dict:
    """{tokens, token_ids, raw_probs, final_probs, kept, final_mass_shown} over the likeliest SAMPLING_SHOWN tokens."""
    import torch

    from models.snippets import sampling_distribution

    prompt = validate.text(prompt, "a prompt", limits.PROMPT_CHARS)
    temperature, top_k, top_p = _checked(temperature, top_k, top_p)
    loaded = why_common.local_model("generate", choice, on_progress)
    tokens = len(loaded.tokenizer(prompt)["input_ids"])
    validate.fits_positions(loaded.model, tokens, 1, tokenizer=loaded.tokenizer)  # the next token's position
    # generate() draws the one token it makes from torch's global generator: put its state back afterwards, so
    # this view never shifts what a seeded run of the generation tab draws.
    with torch.random.fork_rng(devices=[]):
        return sampling_distribution.next_token_distribution(loaded.model, loaded.tokenizer, prompt, temperature,
                                                             top_k, top_p, limits.SAMPLING_SHOWN)


def code(prompt: str, temperature: float = 1.0, top_k: int = 50, top_p: float = 1.0,
         choice: str | None = None) -> str:
    """The reference module and the call that prints what /sampling_distribution returned (its dict)."""
    temperature, top_k, top_p = _checked(temperature, top_k, top_p)
    call = (f"next_token_distribution(model, tokenizer, {prompt!r}, temperature={temperature!r}, top_k={top_k}, "
            f"top_p={top_p!r}, shown={limits.SAMPLING_SHOWN})")
    return snippets.program(["sampling_distribution"], why_common.load_code(why_common.resolve("generate", choice)),
                            f"print(json.dumps({call}))")
