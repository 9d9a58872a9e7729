"""The Why? views' numbers, each checked against an independent computation, and every cap refused clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models import limits, loader
from models.errors import InputError
from models.offline import entry_path
from models.snippets import attribution as attribution_snippet
from models.snippets import head_ablation as ablation_snippet
from models.tasks import (
    attribution,
    cross_attention,
    embedding_projection,
    head_ablation,
    logit_lens,
    neuron_view,
    sampling_distribution,
    sentiment,
    translate,
    why_common,
    zero_shot,
)
from tests.support import references

SLOW = "The service was slow and the staff were rude."
BLAND = "The food was cold and bland."
FILMS = ["I loved this film.", "What a wonderful movie.", "The stock market fell today.",
         "Shares dropped sharply after the report.", "My cat sleeps all day."]


def float32(entry: str, auto_class: str, task: str | None = None):
    """A pack model in float32 and its tokenizer, loaded here as a user would; with `task`, from the weights the app
    serves for it (bfloat16 where this CPU has it)."""
    import transformers

    path = entry_path(entry)
    dtype = getattr(torch, loader.resolve(task).dtype) if task else torch.float32
    model = getattr(transformers, auto_class).from_pretrained(path, dtype=dtype).float().eval()
    return model, transformers.AutoTokenizer.from_pretrained(path)


def top_two(result: dict) -> set[str]:
    ranked = sorted(zip(result["scores"], result["tokens"]), reverse=True)
    return {token for _, token in ranked[:2]}


# ---- attribution -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [(SLOW, {"rude", "slow"}), (BLAND, {"bland", "cold"})])
def test_integrated_gradients_find_the_words_and_add_up(offline_pack, text, words):
    result = attribution.explain(text, "sentiment", "", "integrated_gradients", 64)
    assert result["prediction"] == result["target"] == "NEGATIVE"
    assert top_two(result) == words
    gap = sum(result["scores"]) - (result["target_score"] - result["baseline_score"])
    assert abs(gap) < 1e-3  # completeness with a [PAD] baseline and 64 steps
    assert result["baseline_score"] < 0.5 < result["target_score"]  # blanking the words removes the complaint
    assert "'[PAD]'" in result["baseline"]
    specials = [score for token, score in zip(result["tokens"], result["scores"]) if token in ("[CLS]", "[SEP]")]
    assert specials == [0.0, 0.0]  # kept in the baseline: no share


def test_target_score_is_the_classifier_probability(offline_pack):
    result = attribution.explain(SLOW, "sentiment", "positive", "integrated_gradients", 4)
    assert result["target"] == "POSITIVE"
    model, tokenizer = float32("minilm-sentiment", "AutoModelForSequenceClassification", "sentiment")
    with torch.no_grad():
        probs = model(**tokenizer(SLOW, return_tensors="pt")).logits.softmax(-1)[0]
    assert result["target_score"] == pytest.approx(float(probs[1]), abs=1e-5)


def test_gradient_x_input_is_the_embedding_times_the_gradient(offline_pack):
    """Checked without the hook: the same gradient through inputs_embeds."""
    result = attribution.explain(BLAND, "sentiment", "", "gradient_x_input")
    model, tokenizer = float32("minilm-sentiment", "AutoModelForSequenceClassification", "sentiment")
    inputs = tokenizer(BLAND, return_tensors="pt")
    embedded = model.get_input_embeddings()(inputs["input_ids"]).detach().requires_grad_()
    probability = model(inputs_embeds=embedded, attention_mask=inputs["attention_mask"]).logits.softmax(-1)[0, 0]
    (gradient,) = torch.autograd.grad(probability, embedded)
    expected = (embedded * gradient).sum(-1)[0]
    np.testing.assert_allclose(result["scores"], expected.detach().numpy(), atol=1e-6)
    assert result["steps"] is None and result["target_score"] == pytest.approx(float(probability.detach()), abs=1e-6)


def test_fill_mask_and_next_token_targets(offline_pack):
    masked = attribution.explain("Paris is the [MASK] of France.", "fill_mask", "capital", steps=16)
    fill = loader.get("fill_mask").pipeline("fill-mask")("Paris is the [MASK] of France.", targets=["capital"])
    assert masked["target"] == "capital"
    assert masked["target_score"] == pytest.approx(fill[0]["score"], rel=1e-2)  # the pipeline's model may be bf16
    assert masked["scores"][masked["tokens"].index("[MASK]")] == 0.0  # the question stays in the baseline
    following = attribution.explain("The capital of France is", "generate", "", steps=16)
    model, tokenizer = float32("tiny-gpt2", "AutoModelForCausalLM", "generate")
    with torch.no_grad():
        logits = model(**tokenizer("The capital of France is", return_tensors="pt")).logits[0, -1]
    assert following["prediction"] == following["target"] == tokenizer.decode([int(logits.argmax())])
    assert following["target_score"] == pytest.approx(float(logits.softmax(-1).max()), rel=1e-4)


def test_zero_shot_by_similarity_scores_the_label_as_the_zero_shot_tab(offline_pack):
    result = attribution.explain("The striker scored twice before half-time.", "zero_shot", "sport", steps=16)
    expected = zero_shot.classify("The striker scored twice before half-time.", "sport", multi_label=True)["sport"]
    # multi-label: the cosine (positive here)
    assert result["target_score"] == pytest.approx(expected, abs=references.atol("zero_shot", 1e-4))
    assert "cosine similarity" in result["measure"]


def test_zero_shot_by_entailment_blanks_only_the_text(offline_pack, tmp_path):
    """A tiny NLI model (random weights, MNLI's labels): the score is the zero-shot pipeline's for one label."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, pipeline

    tokenizer = AutoTokenizer.from_pretrained(entry_path("minilm"))
    torch.manual_seed(0)
    labels = {"contradiction": 0, "neutral": 1, "entailment": 2}
    model = BertForSequenceClassification(BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, label2id=labels, id2label={i: name for name, i in labels.items()})).eval()
    text = "The striker scored twice."
    result = attribution_snippet.explain_label(model, tokenizer, text, "sport", steps=64)
    nli = pipeline("zero-shot-classification", model=model, tokenizer=tokenizer)
    expected = nli(text, ["sport"], multi_label=True, hypothesis_template=attribution_snippet.HYPOTHESIS)
    assert result["target_score"] == pytest.approx(expected["scores"][0], abs=1e-5)
    hypothesis = [score for span, score in zip(result["offsets"], result["scores"]) if span is None]
    assert hypothesis and set(hypothesis) == {0.0}  # the hypothesis and special tokens are kept
    gap = sum(result["scores"]) - (result["target_score"] - result["baseline_score"])
    assert abs(gap) < 1e-3


# ---- head ablation -----------------------------------------------------------------------------------------

def test_silencing_no_head_gives_exactly_the_sentiment_tab(offline_pack):
    result = head_ablation.ablate(SLOW, "", "sentiment")
    assert result["before"] == result["after"] == sentiment.classify(SLOW)  # bit for bit
    assert result["silenced"] == []


def zeroed_values(model, heads: list[tuple[int, int]]):
    """A copy of a BERT or GPT-2 model whose value projections give 0 for these heads: the same as silencing
    them (their attention-weighted sum of values is 0), computed without any hook."""
    import copy

    twin = copy.deepcopy(model)
    per_layer = twin.config.num_attention_heads
    width = twin.config.hidden_size // per_layer
    with torch.no_grad():
        for layer, head in heads:
            cut = slice(head * width, (head + 1) * width)
            if twin.config.model_type == "gpt2":  # c_attn: Conv1D (hidden, 3 x hidden) = [queries | keys | values]
                attn = twin.transformer.h[layer].attn.c_attn
                values = slice(2 * twin.config.hidden_size + cut.start, 2 * twin.config.hidden_size + cut.stop)
                attn.weight[:, values] = 0
                attn.bias[values] = 0
            else:
                value = twin.bert.encoder.layer[layer].attention.self.value
                value.weight[cut] = 0
                value.bias[cut] = 0
    return twin


@pytest.mark.parametrize(("entry", "auto_class", "task", "text"), [
    ("minilm-sentiment", "AutoModelForSequenceClassification", "sentiment", SLOW),
    ("tiny-gpt2", "AutoModelForCausalLM", "generate", "The capital of France is"),
])
def test_a_silenced_head_is_a_head_whose_values_are_zero(offline_pack, entry, auto_class, task, text):
    model, tokenizer = float32(entry, auto_class)
    heads = [(0, 1), (1, 0)]
    result = ablation_snippet.ablate(model, tokenizer, text, "0.1, 1.0", task)
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = zeroed_values(model, heads)(**inputs).logits
    probs = (logits if task == "sentiment" else logits[:, -1]).softmax(-1)[0]
    named = {name: float(probs[i]) for i, name in enumerate(model.config.id2label.values())} if task == "sentiment" \
        else {tokenizer.decode([i]): float(probs[i]) for i in range(len(probs))}
    for name, probability in result["after"].items():
        assert probability == pytest.approx(named[name], abs=1e-6)
    # Each head alone, batched, agrees with silencing that head by itself.
    alone = ablation_snippet.ablate(model, tokenizer, text, "1.0", task)
    change = result["one_at_a_time"]["change"][1][0]
    assert change == pytest.approx(alone["after"][alone["one_at_a_time"]["class"]] - alone["before"][
        alone["one_at_a_time"]["class"]], abs=1e-6)


def test_one_at_a_time_covers_every_head_and_ranks_them(offline_pack):
    result = head_ablation.ablate(BLAND, "5.*", "sentiment")
    assert result["silenced"] == [[5, head] for head in range(12)]
    changes = np.asarray(result["one_at_a_time"]["change"])
    assert changes.shape == (6, 12)  # MiniLM: 6 layers of 12 heads
    largest = result["one_at_a_time"]["largest"]
    assert abs(largest[0]["change"]) == pytest.approx(np.abs(changes).max())
    assert [abs(item["change"]) for item in largest] == sorted((abs(item["change"]) for item in largest), reverse=True)


def test_ablation_leaves_the_shared_model_untouched(offline_pack):
    head_ablation.ablate(SLOW, "0.1", "sentiment")
    attribution.explain(SLOW, steps=2)
    shared = loader.get("sentiment").model
    assert not any(module._forward_hooks or module._forward_pre_hooks for module in shared.modules())
    assert str(shared.dtype) == f"torch.{loader.resolve('sentiment').dtype}"


# ---- logit lens and sampling ----------------------------------------------------------------------------------

def test_the_logit_lens_last_layer_is_the_model_itself(offline_pack):
    text = "The capital of France is"
    result = logit_lens.lens(text)
    loaded = loader.get("generate")
    inputs = loaded.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = loaded.model(**inputs).logits[0]  # (seq, vocab)
        following = loaded.model.generate(**inputs, max_new_tokens=1, do_sample=False,
                                          pad_token_id=loaded.tokenizer.eos_token_id)[0, -1]
    assert result["layers"] == [0, 1, 2]  # the embeddings, then tiny GPT-2's two layers
    assert result["top_ids"][-1] == logits.argmax(-1).tolist()
    assert result["top_ids"][-1][-1] == int(following)  # what generate() writes next
    np.testing.assert_allclose(result["top_probs"][-1], logits.float().softmax(-1).max(-1).values, rtol=1e-5)
    # An earlier layer goes through the final norm first (GPT-2 applies it only to the last hidden state).
    with torch.no_grad():
        hidden = loaded.model(**inputs, output_hidden_states=True).hidden_states[1]
        early = loaded.model.lm_head(loaded.model.transformer.ln_f(hidden))[0].argmax(-1)
    assert result["top_ids"][1] == early.tolist()


@pytest.mark.parametrize(("temperature", "top_k", "top_p"), [(1.0, 50, 1.0), (0.7, 5, 0.9), (2.0, 0, 0.5),
                                                           (0.5, 0, 1.0)])
def test_the_sampling_distribution_is_what_generate_processors_make(offline_pack, temperature, top_k, top_p):
    from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    prompt = "Once upon a time"
    torch.manual_seed(7)
    state = torch.get_rng_state()
    result = sampling_distribution.distribution(prompt, temperature, top_k, top_p)
    assert torch.equal(torch.get_rng_state(), state)  # a seeded generation elsewhere draws the same tokens
    loaded = loader.get("generate")
    inputs = loaded.tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        logits = loaded.model(**inputs).logits[:, -1].float()  # (1, vocab)
    # As generate() builds them for sampling: temperature, then top-k, then top-p (each only when it is on).
    processors = LogitsProcessorList()
    if temperature != 1.0:
        processors.append(TemperatureLogitsWarper(temperature))
    if top_k:
        processors.append(TopKLogitsWarper(top_k))
    if top_p < 1.0:
        processors.append(TopPLogitsWarper(top_p))
    final = processors(inputs["input_ids"], logits.clone()).softmax(-1)[0]
    ids = result["token_ids"]
    assert len(ids) == limits.SAMPLING_SHOWN >= 20
    np.testing.assert_allclose(result["final_probs"], final[ids], atol=1e-7)
    np.testing.assert_allclose(result["raw_probs"], logits.softmax(-1)[0][ids], atol=1e-7)
    assert result["kept"] == int((final > 0).sum())
    assert result["raw_probs"] == sorted(result["raw_probs"], reverse=True)


# ---- cross-attention, neuron view, embedding projection -------------------------------------------------------

def test_cross_attention_rows_sum_to_one_and_belong_to_the_translation(offline_pack):
    text = "The house is wonderful."
    view = cross_attention.attend(text, "German", 1, 1, max_new_tokens=12)
    result = view.result
    assert result["translation"] == translate.translate(text, "German", max_new_tokens=12)
    matrix = np.asarray(result["attention"])
    assert matrix.shape == (len(result["target_tokens"]), len(result["source_tokens"]))
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=references.atol("translate", 1e-5))
    np.testing.assert_array_equal(matrix, view.maps[1, 1])
    tokenizer = loader.get("translate").tokenizer
    written = tokenizer.convert_tokens_to_ids(result["target_tokens"])
    assert tokenizer.decode(written, skip_special_tokens=True, clean_up_tokenization_spaces=False) \
        == result["translation"]
    assert result["source_tokens"][-1] == "</s>" and "▁house" in result["source_tokens"]
    assert loader.get("translate").model.config._attn_implementation != "eager"  # eager only on the private copy


def test_neuron_view_is_the_encoder_own_attention(offline_pack):
    text = "The cat sat on the mat."
    view = neuron_view.neuron(text, 2, 3)
    result = view.result
    scores, attention = np.asarray(result["scores"]), np.asarray(result["attention"])
    softmax = np.exp(scores - scores.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True), attention,
                               atol=references.atol("encoder", 1e-6))
    encoder = loader.get("encoder")
    inputs = encoder.tokenizer(text, return_tensors="pt")
    captured = {}
    query = encoder.model.encoder.layer[2].attention.self.query
    handle = query.register_forward_hook(lambda module, args, output: captured.setdefault("q", output))
    try:
        with torch.no_grad():
            own = encoder.model(**inputs, output_attentions=True).attentions[2][0, 3]
    finally:
        handle.remove()
    np.testing.assert_allclose(attention, own.float().numpy(), atol=references.atol("encoder", 1e-5))
    width = encoder.model.config.hidden_size // encoder.model.config.num_attention_heads
    queries = captured["q"][0, :, 3 * width:4 * width].float().numpy()
    np.testing.assert_allclose(result["queries"], queries, atol=references.atol("encoder", 1e-5, np.abs(queries).max()))
    assert result["tokens"] == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", ".", "[SEP]"]
    stored = np.asarray(view.bertviz["all"]["attn"])
    assert stored.shape == (6, 12, 9, 9) and np.array_equal(stored, np.round(stored, 3))  # rounded for the page


def test_neuron_view_refuses_an_encoder_bertviz_has_no_class_for():
    from transformers import DistilBertConfig, DistilBertModel

    model = DistilBertModel(DistilBertConfig(vocab_size=100, dim=32, n_layers=1, n_heads=2, hidden_dim=64))
    with pytest.raises(InputError, match="bertviz's neuron view runs on its own BERT"):
        neuron_view.bertviz_model(model)


def test_embedding_projection_is_pca_of_the_mean_pooled_vectors(offline_pack):
    result = embedding_projection.project("\n".join(FILMS), -1)
    encoder = loader.get("encoder")
    vectors = []
    for sentence in FILMS:  # one at a time, no padding: the pooled mean needs no mask
        with torch.no_grad():
            hidden = encoder.model(**encoder.tokenizer(sentence, return_tensors="pt")).last_hidden_state[0]
        vectors.append(hidden.double().mean(0).numpy())
    centred = np.asarray(vectors) - np.mean(vectors, axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)  # ascending
    expected = centred @ eigenvectors[:, ::-1][:, :2]
    points = np.asarray(result["points"])
    scale = np.abs(expected).max()
    # equal up to each axis's sign
    np.testing.assert_allclose(np.abs(points), np.abs(expected), atol=references.atol("encoder", 1e-4, scale))
    np.testing.assert_allclose(result["explained_variance"], eigenvalues[::-1][:2] / eigenvalues.sum(),
                               atol=references.atol("encoder", 1e-6))
    film, movie, stocks = points[0], points[1], points[2]
    assert np.linalg.norm(film - movie) < np.linalg.norm(film - stocks)  # MiniLM's real weights: alike is near
    embeddings = embedding_projection.project("\n".join(FILMS), 0)
    assert embeddings["points"] != result["points"]


# ---- caps and mistakes: each refused with a message that says what to do ------------------------------------

TOO_MANY_TOKENS = " ".join(["word"] * 70)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: attribution.explain(SLOW, steps=0), "Steps must be between 1 and 128"),
    (lambda: attribution.explain(SLOW, steps=limits.ATTRIBUTION_STEPS + 1), "between 1 and 128"),
    (lambda: attribution.explain(SLOW, method="saliency"), "Unknown method 'saliency'"),
    (lambda: attribution.explain(SLOW, task="ner"), "Unknown task 'ner'"),
    (lambda: attribution.explain(SLOW, target="angry"), "no class 'angry'. Its classes: NEGATIVE, POSITIVE"),
    (lambda: attribution.explain(SLOW, target="x" * 101), "at most 100"),
    (lambda: attribution.explain(SLOW, task="zero_shot"), "enter the label to explain"),
    (lambda: attribution.explain("Paris is the capital.", task="fill_mask"), "exactly one [MASK]"),
    (lambda: attribution.explain("Paris is the [MASK].", task="fill_mask", target="new york"), "not one token"),
    (lambda: attribution.explain(TOO_MANY_TOKENS), "72 tokens; this view takes at most 64"),
    (lambda: attribution.explain(SLOW, choice="openai-community/gpt2"), "is not a Sentiment model"),
    (lambda: head_ablation.ablate(SLOW, "6.0"), "layers 0-5"),
    (lambda: head_ablation.ablate(SLOW, "0.12"), "heads 0-11"),
    (lambda: head_ablation.ablate(SLOW, "first head"), "is not a head: write each as layer.head"),
    (lambda: head_ablation.ablate(SLOW, "0." * 1001), "limit is 2,000"),
    (lambda: head_ablation.ablate(SLOW, "0.1", task="zero_shot"), "Unknown task 'zero_shot'"),
    (lambda: logit_lens.lens(TOO_MANY_TOKENS), "70 tokens; this view takes at most 64"),
    (lambda: sampling_distribution.distribution("Hi", top_k=limits.GENERATE_TOP_K + 1), "Top k must be between"),
    (lambda: sampling_distribution.distribution("Hi", temperature=0), "Temperature must be between 0.01"),
    (lambda: cross_attention.attend("The house.", "Klingon"), "Unknown target language 'Klingon'"),
    (lambda: cross_attention.attend("The house.", layer=2), "this model has 2 layers"),
    (lambda: cross_attention.attend("The house.", max_new_tokens=49), "between 1 and 48"),
    (lambda: cross_attention.attend(TOO_MANY_TOKENS), "this view takes at most 48"),
    (lambda: neuron_view.neuron(" ".join(["cat"] * 23)), "25 tokens; this view takes at most 24"),
    (lambda: neuron_view.neuron("The cat.", head=12), "12 heads per layer"),
    (lambda: embedding_projection.project("one\ntwo"), "Enter 3 to 50 sentences, one per line; got 2."),
    (lambda: embedding_projection.project("\n".join(FILMS), 7), "-1 = the last"),
    (lambda: embedding_projection.project("a\nb\n" + " ".join(["word"] * 130)), "Sentence 3 is 132 tokens"),
])
def test_mistakes_are_refused_with_what_to_do(offline_pack, call, message):
    with pytest.raises(InputError) as refused:
        call()
    assert message in str(refused.value)


def test_a_model_of_the_task_or_its_default(offline_pack):
    assert why_common.resolve("generate", "").choice == loader.choices("generate")[0]
    assert why_common.choices(["sentiment", "generate"])[:1] == loader.choices("sentiment")[:1]
    assert attribution.METHODS == attribution_snippet.METHODS  # kept in step (the task module avoids torch)


# ---- long work stops when its request is asked to (the time budget, a cancel) ---------------------------------

@pytest.mark.parametrize(("run", "what", "chunks"), [
    (lambda report: attribution.explain(SLOW, steps=limits.ATTRIBUTION_STEPS, on_progress=report),
     "Integrating", 17),  # 129 points, 8 a pass
    (lambda report: head_ablation.ablate(SLOW, "", on_progress=report), "Silencing", 5),  # 72 heads, 16 a pass
])
def test_chunked_views_stop_between_chunks(offline_pack, run, what, chunks):
    from tests.models.test_stopping import stopped_midway

    reports: list[str] = []

    def report(fraction: float, message: str) -> None:
        if message.startswith(what):
            reports.append(message)

    how, done = stopped_midway(lambda: run(report), reports, after=1)
    assert how == "stopped" and done < chunks
