"""Inputs within their character caps that would run past a model's position table are refused before the model
runs, with a message that says what to shorten or lower (issue 18, item 3): GPT-2's 1,024 positions for the prompt
and the new tokens, BART's decoder table for a summary's length, a masked text in BERT's 512."""

import pytest

from models import limits, loader, validate
from models.errors import InputError
from models.tasks import fill_mask, sampling_distribution, summarize
from models.tasks.generate import GenerationSettings, stream

# The offline GPT-2's tokenizer spends several tokens on each of these: a prompt within the 2,000-character cap runs
# past 1,024 positions.
EMOJI = "🙂, "


def tokens(task: str, text: str) -> int:
    return len(loader.get(task).tokenizer(text)["input_ids"])


@pytest.fixture(scope="module")
def long_prompt(offline_pack) -> str:
    prompt = (EMOJI * limits.PROMPT_CHARS)[: limits.PROMPT_CHARS]
    assert tokens("generate", prompt) > 1_024
    return prompt


def test_position_tables_of_the_pack(offline_pack):
    assert validate.position_table(loader.get("generate").model) == 1_024  # GPT-2's n_positions
    assert validate.position_table(loader.get("summarize").model) == 128  # the stand-in BART's small table
    assert validate.position_table(loader.get("translate").model) is None  # T5: relative positions, no table


def test_a_prompt_past_the_table_is_refused_before_anything_streams(long_prompt):
    count = tokens("generate", long_prompt)
    source = stream(long_prompt, GenerationSettings(max_new_tokens=8))
    with pytest.raises(InputError) as refused:
        for update in source:
            pytest.fail(f"it streamed {update!r} before refusing")
    assert str(refused.value) == (f"The prompt is {count:,} tokens; this model has 1,024 positions for the prompt and "
                                  "the new tokens together, so it takes at most 1,023 prompt tokens. Shorten it.")


def test_prompt_and_new_tokens_past_the_table_say_how_many_new_tokens_fit(offline_pack):
    prompt = EMOJI * 450
    count = tokens("generate", prompt)
    assert 1_024 - 256 < count < 1_024
    with pytest.raises(InputError) as refused:
        stream(prompt, GenerationSettings(max_new_tokens=256)).result()
    assert str(refused.value) == (f"The prompt ({count:,} tokens) and 256 new tokens make {count + 256:,}, more than "
                                  f"this model's 1,024 positions. Lower max new tokens to {1_024 - count:,} or "
                                  "shorten the prompt.")
    fitting = stream(prompt, GenerationSettings(max_new_tokens=1_024 - count)).result()  # exactly fills the table
    assert fitting[0].startswith(prompt)


def test_the_sampling_view_refuses_a_prompt_past_the_table(long_prompt):
    with pytest.raises(InputError, match="takes at most 1,023 prompt tokens"):
        sampling_distribution.distribution(long_prompt)


def test_a_summary_longer_than_the_decoders_table_is_refused(offline_pack):
    text = "The cat sat on the mat. " * 10
    for chosen, label in ((dict(max_new_tokens=200), "Max new tokens is 200"),
                          (dict(max_new_tokens=300, min_new_tokens=150), "Max new tokens is 300"),
                          (dict(min_new_tokens=128), "Min new tokens is 128")):
        with pytest.raises(InputError) as refused:
            summarize.summarize(text, summarize.SummarySettings.checked(num_beams=1, **chosen))
        assert str(refused.value) == (f"{label}; this model writes at most 127 tokens (its decoder has 128 "
                                      "positions). Lower it to 127 at most.")
    assert summarize.summarize(text, summarize.SummarySettings.checked(max_new_tokens=127, num_beams=1))


def test_a_masked_text_past_the_encoders_table_is_refused(offline_pack):
    text = (EMOJI * limits.TEXT_CHARS)[: limits.TEXT_CHARS - 7] + " [MASK]"
    count = tokens("fill_mask", text)
    with pytest.raises(InputError) as refused:
        fill_mask.fill(text)
    assert str(refused.value) == f"The text is {count:,} tokens; this model reads at most 512 (its position table). " \
                                 "Shorten it."
