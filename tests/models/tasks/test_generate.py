"""Generation on the tiny GPT-2: seeded runs repeat, every strategy matches model.generate, streams grow,
closing a stream stops its thread, the probability view and the side-by-side agree with plain transformers."""

import re
import time

import pytest
import torch

import config
from models import limits, loader
from models.errors import InputError
from models.snippets import generation
from models.tasks import generate as gen
from models.tasks.generate import GenerationSettings, generate, stream
from serving import bridge
from tests.support import references, snippets
from tests.support.waiting import slow_down, wait_until

PROMPT = "Once upon a time"


def settings(**changes) -> GenerationSettings:
    return GenerationSettings(**{"max_new_tokens": 12, **changes})


def plain_generate(seed: int = 0, **kwargs) -> list[str]:
    """What model.generate gives for the prompt, decoded the way the task decodes it."""
    loaded = loader.get("generate")
    inputs = loaded.tokenizer(PROMPT, return_tensors="pt")
    torch.manual_seed(seed)
    with torch.inference_mode():
        ids = loaded.model.generate(**inputs, pad_token_id=loaded.tokenizer.eos_token_id, **kwargs)
    return [PROMPT + loaded.tokenizer.decode(row[inputs["input_ids"].shape[1]:], skip_special_tokens=True)
            for row in ids]


@pytest.fixture
def slow_model(offline_pack, monkeypatch):
    """The generation model with 50 ms added to each forward pass, and a count of forward passes."""
    return slow_down(loader.get("generate").model, 0.05, monkeypatch)


def test_same_seed_same_text_other_seed_other_text(offline_pack):
    first = generate(PROMPT, settings(seed=7))
    assert generate(PROMPT, settings(seed=7)) == first
    assert generate(PROMPT, settings(seed=8)) != first


def test_greedy_matches_plain_model_generate(offline_pack):
    assert generate(PROMPT, settings(do_sample=False)) == plain_generate(max_new_tokens=12, do_sample=False)


def test_sampling_matches_plain_model_generate_with_the_same_seed(offline_pack):
    chosen = settings(temperature=0.7, top_k=20, top_p=0.9, num_return_sequences=2, seed=3,
                      repetition_penalty=1.3, no_repeat_ngram_size=2)
    assert generate(PROMPT, chosen) == plain_generate(3, **chosen.generate_kwargs())


def test_beam_search_matches_plain_model_generate_and_streams_only_the_prompt(offline_pack):
    chosen = settings(do_sample=False, num_beams=3, num_return_sequences=2)
    partials = list(stream(PROMPT, chosen))
    assert partials[-1] == plain_generate(max_new_tokens=12, num_beams=3, num_return_sequences=2)
    assert chosen.strategy == "beam search" and not chosen.streams
    assert all(p == [PROMPT, PROMPT] for p in partials[:-1])  # heartbeats carry no text


def test_three_sequences_come_back(offline_pack):
    texts = generate(PROMPT, settings(num_return_sequences=3))
    assert len(texts) == 3 and all(t.startswith(PROMPT) for t in texts)


def test_no_repeat_ngram_size_forbids_repeats(offline_pack):
    def new_ids(**changes) -> list[int]:
        final = list(gen.thinking(PROMPT, settings(do_sample=False, max_new_tokens=20, **changes)))[-1]
        return [step["token_id"] for step in final["steps"]]

    prompt_ids = loader.get("generate").tokenizer(PROMPT)["input_ids"]
    assert len(set(new_ids())) < 20  # the random tiny model loops when greedy...
    ids = prompt_ids + new_ids(no_repeat_ngram_size=1)  # ...and may not repeat a single token with this
    assert len(ids) == len(prompt_ids) + 20 and len(set(ids)) == len(ids)


def test_stream_grows_and_ends_with_the_final_text(offline_pack):
    partials = list(stream(PROMPT, settings(max_new_tokens=40)))
    assert partials[-1] == generate(PROMPT, settings(max_new_tokens=40))
    lengths = [len(p[0]) for p in partials]
    assert lengths == sorted(lengths)


@pytest.mark.parametrize("strategy", [{}, {"do_sample": False, "num_beams": 4}])
def test_closing_the_stream_stops_the_generation_thread(slow_model, strategy):
    iterator = stream(PROMPT, settings(max_new_tokens=200, **strategy))  # 10 s at 50 ms a step
    started = time.monotonic()
    next(iterator)  # a step's update: beam search's carry no text, but come at every step
    assert bridge.running("generate") == 1
    iterator.close()  # what Stop, a client that went away and the time budget do
    assert wait_until(lambda: bridge.running("generate") == 0, timeout=2)
    passes = len(slow_model)
    time.sleep(0.3)
    assert len(slow_model) == passes, "the model kept running after the stream was closed"
    assert time.monotonic() - started < 4 and passes < 60


@pytest.mark.parametrize("changes, message", [
    ({"max_new_tokens": 0}, "max new tokens"), ({"max_new_tokens": 257}, "max new tokens"),
    ({"temperature": 0}, "temperature"), ({"temperature": float("nan")}, "temperature"),
    ({"top_p": 1.5}, "top p"), ({"num_return_sequences": 6}, "number of sequences"), ({"seed": -1}, "seed"),
    ({"num_beams": 9}, "number of beams"), ({"repetition_penalty": 0.5}, "repetition penalty"),
    ({"repetition_penalty": 2.5}, "repetition penalty"), ({"no_repeat_ngram_size": 11}, "n-gram"),
    ({"do_sample": "perhaps"}, "do_sample must be true or false"),
    ({"num_beams": 3}, "Pick sampling or beam search, not both"),
    ({"do_sample": False, "num_return_sequences": 3}, "Greedy decoding always gives the same single"),
    ({"do_sample": False, "num_beams": 2, "num_return_sequences": 3}, "at most 2 sequences"),
])
def test_out_of_range_settings_are_refused(changes, message):
    values = {"max_new_tokens": 10, "temperature": 1.0, "top_k": 50, "top_p": 1.0, "do_sample": True,
              "num_return_sequences": 1, "seed": 0, **changes}
    with pytest.raises(InputError, match=f"(?i){message}"):
        GenerationSettings.checked(**values)


def test_strategies_set_do_sample_and_beams():
    assert GenerationSettings.for_strategy("greedy", num_beams=5).generate_kwargs() == {
        "max_new_tokens": 40, "do_sample": False}
    assert GenerationSettings.for_strategy("beam search").num_beams == gen.COMPARE_BEAMS
    assert GenerationSettings.for_strategy("sampling", num_beams=5).strategy == "sampling"
    with pytest.raises(InputError, match="pick one of"):
        GenerationSettings.for_strategy("contrastive")


def test_thinking_gives_the_models_own_probability_of_each_token(offline_pack):
    chosen = settings(do_sample=False, max_new_tokens=8)
    views = list(gen.thinking(PROMPT, chosen, top=5))
    final = views[-1]
    assert final["text"] == generate(PROMPT, chosen)[0] and all(not v["steps"] for v in views[:-1])
    # Against generate()'s own logits, step by step (greedy: the chosen token is the top alternative).
    loaded = loader.get("generate")
    inputs = loaded.tokenizer(PROMPT, return_tensors="pt")
    out = loaded.model.generate(**inputs, max_new_tokens=8, do_sample=False, output_logits=True,
                                return_dict_in_generate=True, pad_token_id=loaded.tokenizer.eos_token_id)
    assert [s["token_id"] for s in final["steps"]] == out.sequences[0, inputs["input_ids"].shape[1]:].tolist()
    for step, logits in zip(final["steps"], out.logits):
        probs = logits[0].softmax(-1)  # (vocab,)
        assert step["probability"] == pytest.approx(float(probs[step["token_id"]]), abs=1e-5)
        assert step["alternatives"][0]["token_id"] == step["token_id"]
        assert [a["probability"] for a in step["alternatives"]] == pytest.approx(
            probs.topk(5).values.tolist(), abs=1e-5)
        assert step["band"] == generation.band(step["probability"], gen.BANDS)
    assert "".join(s["token"] for s in final["steps"]) == final["text"][len(PROMPT):]


def test_bands_cover_every_probability():
    assert [generation.band(p, gen.BANDS) for p in (0.9, 0.5, 0.2, 0.05, 0.001, 0.0)] == [
        "likely (≥ 50%)", "likely (≥ 50%)", "plausible (10–50%)", "unlikely (1–10%)",
        "surprising (< 1%)", "surprising (< 1%)"]


def test_compare_decodes_three_ways_like_generate(offline_pack):
    chosen = GenerationSettings.for_strategy("beam search", max_new_tokens=8, seed=4, num_beams=3)
    views = list(gen.compare(PROMPT, chosen))
    final = views[-1]
    assert list(final) == list(gen.STRATEGIES)
    assert final["greedy"] == generate(PROMPT, settings(max_new_tokens=8, do_sample=False))[0]
    assert final["sampling"] == generate(PROMPT, settings(max_new_tokens=8, seed=4))[0]
    assert final["beam search"] == generate(PROMPT, settings(max_new_tokens=8, do_sample=False, num_beams=3))[0]
    assert len(views) >= 3 and len(views[0]) == 1  # greedy arrives first, the others after it


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_show_code_snippets_print_the_same_texts(offline_pack, fresh_state, dtype):
    # In bf16 the second sampled sequence used to differ: the snippet loaded SDPA attention, the app eager.
    config.use(config.Settings(**{**config.current().__dict__, "dtype": dtype, "native_bf16": True}))
    sampling = settings(temperature=0.8, top_k=40, top_p=0.9, num_return_sequences=2, seed=11,
                        repetition_penalty=1.2, no_repeat_ngram_size=3)
    beams = settings(do_sample=False, num_beams=3, num_return_sequences=2)
    printed = snippets.results([gen.code(PROMPT, sampling), gen.code(PROMPT, beams)])
    expected = [generate(PROMPT, sampling), generate(PROMPT, beams)]
    assert printed == [[texts[0], texts] for texts in expected]


def test_on_a_cpu_with_native_bf16_the_model_and_its_code_use_it(offline_pack, fresh_state):
    config.use(config.Settings(**{**config.current().__dict__, "dtype": "auto", "native_bf16": True}))
    assert loader.get("generate").model.dtype == torch.bfloat16  # half the bytes to read per token
    greedy = settings(do_sample=False, max_new_tokens=6)
    script = gen.code(PROMPT, greedy)
    assert "dtype='bfloat16', attn_implementation='eager'" in script
    texts = generate(PROMPT, greedy)
    assert snippets.results([script]) == [[texts[0], texts]]


def _maps(text: str) -> torch.Tensor:
    """Every layer's attention over the finished text, from a plain forward pass: (layers, heads, seq, seq)."""
    loaded = loader.get("generate")
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        return torch.cat(loaded.model(input_ids=ids, output_attentions=True).attentions).float()


@pytest.mark.parametrize("layer, head", [(-1, -1), (0, 1), (1, -1), (-1, 0)])
def test_attention_over_generated_text_is_causal_rows_of_one_over_generates_own_tokens(offline_pack, layer, head):
    greedy = settings(do_sample=False)
    result = gen.attending(PROMPT, greedy, layer, head)
    # A softmax in bf16 (on CPUs with native bf16) rounds each weight to 3 significant digits.
    ones = references.atol("generate", 1e-5)
    assert result["text"] == generate(PROMPT, greedy)[0]  # the tokens /generate wrote
    tokens, start, rows = result["tokens"], result["prompt_tokens"], result["attention"]
    assert "".join(tokens) == result["text"] and len(rows) == len(tokens) - start == 12
    assert (result["layer"], result["head"]) == (layer, head)
    for i, row in enumerate(rows):
        assert len(row) == len(tokens) and sum(row) == pytest.approx(1, abs=ones)
        assert all(weight == 0 for weight in row[start + i:])  # new token i and after: not seen yet
        assert all(weight > 0 for weight in row[:start + i])
    # The numbers: the plain model's attention of the position that wrote each new token, averaged where -1.
    maps = _maps(result["text"])
    maps = maps if layer < 0 else maps[layer:layer + 1]
    maps = maps if head < 0 else maps[:, head:head + 1]
    expected = maps.mean(dim=(0, 1))[start - 1:start - 1 + len(rows)]
    assert torch.tensor(rows) == pytest.approx(expected, abs=1e-6)


def test_attention_over_sampled_text_follows_the_seed(offline_pack):
    sampled = settings(seed=5, temperature=0.9, top_k=30)
    assert gen.attending(PROMPT, sampled)["text"] == generate(PROMPT, sampled)[0]


@pytest.mark.parametrize("layer, head, message", [
    (2, 0, "Layer (this model has 2 layers, counted from 0; -1 for their mean) must be between -1 and 1"),
    (0, 9, "Head (this model has 2 heads per layer, counted from 0; -1 for their mean) must be between -1 and 1"),
])
def test_attention_layer_and_head_are_checked_against_the_model(offline_pack, layer, head, message):
    with pytest.raises(InputError, match=re.escape(message)):
        gen.attending(PROMPT, settings(do_sample=False), layer, head)


def test_attention_over_too_many_tokens_is_refused(offline_pack):
    with pytest.raises(InputError, match="may come to 128 tokens at most"):
        gen.attending(PROMPT, settings(max_new_tokens=limits.GENERATED_ATTENTION_TOKENS))


def test_show_code_of_the_step_views_prints_what_they_return(offline_pack):
    sampled = settings(seed=9, temperature=0.8, max_new_tokens=8)
    beams = GenerationSettings.for_strategy("beam search", max_new_tokens=6, seed=2, num_beams=3)
    printed = snippets.results([gen.probabilities_code(PROMPT, sampled), gen.attention_code(PROMPT, sampled, 1, 0),
                                gen.compare_code(PROMPT, beams)])
    steps = list(gen.thinking(PROMPT, sampled))[-1]["steps"]
    snippets.assert_same(printed[0], steps, 1e-6, "generate_probabilities")
    snippets.assert_same(printed[1], gen.attending(PROMPT, sampled, 1, 0), 1e-6, "generate_attention")
    final = list(gen.compare(PROMPT, beams))[-1]
    assert printed[2] == [final[strategy] for strategy in gen.STRATEGIES]
