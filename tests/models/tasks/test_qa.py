"""Question answering: windows, spans, scores and "no answer" as the 4.x pipeline had them.

Expected answers are derived here independently: a brute force over the raw start/end logits of the
model's forward pass, and "pointer" models whose weights are set so that a chosen word is, beyond
doubt, the answer's start (and another its end) wherever it stands in the context.
"""

import numpy as np
import pytest
import torch

from models import loader
from models.errors import InputError
from models.loader import Loaded
from models.snippets import qa as reference
from models.tasks import qa

QUESTION = "Where was the treaty signed?"
CONTEXT = ("The treaty was signed in Paris in 1898 after long talks. It ended the war and moved several "
           "islands to new owners, which angered many people at home.")
FILLER = "Animals live in the park and people walk there every day. "


def brute_force(model, tokenizer, question: str, context: str) -> dict:
    """The best span of a single window, by trying every (start, end) on the raw logits."""
    enc = tokenizer(question, context, return_offsets_mapping=True)
    with torch.inference_mode():
        out = model(**{k: torch.tensor([enc[k]]) for k in tokenizer.model_input_names})
    start_logits, end_logits = out.start_logits[0].float().numpy(), out.end_logits[0].float().numpy()  # bf16 too
    in_context = [sid == 1 for sid in enc.sequence_ids()]
    allowed = [ok or i == 0 for i, ok in enumerate(in_context)]  # context tokens and [CLS]

    def softmax(logits):
        kept = np.array([x for x, ok in zip(logits, allowed) if ok], dtype=np.float64)
        return {i: p for i, p in zip([i for i, ok in enumerate(allowed) if ok],
                                     np.exp(kept - kept.max()) / np.exp(kept - kept.max()).sum())}

    p_start, p_end = softmax(start_logits), softmax(end_logits)
    spans = [(p_start[s] * p_end[e], s, e) for s in range(len(in_context)) for e in range(s, s + 15)
             if e < len(in_context) and in_context[s] and in_context[e]]
    score, s, e = max(spans)
    words = enc.word_ids()  # widen to whole words

    def word_span(token):
        same = [i for i, w in enumerate(words) if w == words[token] and in_context[i]]
        return enc["offset_mapping"][same[0]][0], enc["offset_mapping"][same[-1]][1]

    start, end = word_span(s)[0], word_span(e)[1]
    return {"answer": context[start:end], "score": score, "start": start, "end": end}


@pytest.fixture(scope="module")
def tiny_qa(offline_pack):
    return loader.get("qa")


def pointer_model(tiny_qa, start_word: str, end_word: str):
    """A copy of the tiny QA model whose answer starts at `start_word` and ends at `end_word`.

    The transformer layers are silenced (their output projections zeroed, so each token's vector is
    its normalised embedding), the two words get huge embeddings along random directions, and the QA
    head projects on those directions: their logits tower over every other token's.
    """
    import copy

    model, tokenizer = copy.deepcopy(tiny_qa.model), tiny_qa.tokenizer
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for layer in model.distilbert.transformer.layer:
            for linear in (layer.attention.out_lin, layer.ffn.lin2):
                linear.weight.zero_()
                linear.bias.zero_()
        embeddings = model.distilbert.embeddings.word_embeddings.weight
        directions = {}
        for word in (start_word, end_word):
            if word not in directions:
                directions[word] = torch.randn(embeddings.shape[1], generator=generator)
                token_id = tokenizer.convert_tokens_to_ids(word)
                assert token_id != tokenizer.unk_token_id, word
                embeddings[token_id] = 1000 * directions[word]
        # LayerNorm turns a huge embedding into its centred, unit-variance direction: project on that.
        rows = [3 * (d - d.mean()) / d.std(unbiased=False) for d in (directions[start_word], directions[end_word])]
        model.qa_outputs.weight.copy_(torch.stack(rows))
        model.qa_outputs.bias.zero_()
    return model


@pytest.fixture
def use_model(tiny_qa, monkeypatch):
    """Serve a given model as the QA model (the loader's cache is left alone)."""
    def serve(model):
        loaded = Loaded(tiny_qa.resolved, model, tiny_qa.tokenizer, 0)
        monkeypatch.setattr(loader, "get", lambda task, choice=None, on_progress=None: loaded)
    return serve


def test_best_span_matches_a_brute_force_over_the_logits(tiny_qa):
    expected = brute_force(tiny_qa.model, tiny_qa.tokenizer, QUESTION, CONTEXT)
    best = qa.answer(QUESTION, CONTEXT)[0]
    assert (best["answer"], best["start"], best["end"]) == (expected["answer"], expected["start"], expected["end"])
    assert best["score"] == pytest.approx(expected["score"], abs=1e-6)
    assert CONTEXT[best["start"]:best["end"]] == best["answer"]


def test_top_k_gives_distinct_answers_best_first(tiny_qa):
    answers = qa.answer(QUESTION, CONTEXT, top_k=5)
    assert len(answers) == 5
    assert [a["score"] for a in answers] == sorted((a["score"] for a in answers), reverse=True)
    assert len({a["answer"].lower() for a in answers}) == 5
    assert answers[0] == qa.answer(QUESTION, CONTEXT, top_k=1)[0]
    for a in answers:
        assert CONTEXT[a["start"]:a["end"]] == a["answer"] and a["answer"]


def test_an_answer_late_in_a_long_context_is_found(tiny_qa, use_model):
    use_model(pointer_model(tiny_qa, "zebra", "tiger"))
    context = FILLER * 300 + "At the very end a zebra met a tiger by the lake."
    assert len(context) > 17_000
    assert len(reference.windows(tiny_qa.tokenizer, "Who met?", context)) > 10
    best = qa.answer("Who met?", context)[0]
    assert best["answer"] == "zebra met a tiger"
    assert best["start"] == context.index("zebra") and best["end"] == context.index(" by the lake")
    assert best["score"] > 0.99


def test_windows_overlap_by_the_stride_and_fit_the_model(tiny_qa):
    context = FILLER * 80
    parts = reference.windows(tiny_qa.tokenizer, "Who walks?", context)
    assert len(parts) > 2 and all(len(p.inputs["input_ids"]) <= reference.MAX_SEQ_LEN for p in parts)
    assert "token_type_ids" not in parts[0].inputs  # DistilBERT takes none
    first, second = ([o for o, ok in zip(p.encoding.offsets, p.answerable) if ok] for p in parts[:2])
    assert len(set(first) & set(second)) == reference.DOC_STRIDE


def test_an_answer_in_two_windows_adds_up_its_scores(tiny_qa, use_model):
    """As in 4.x, equal answers merge: a word read by two overlapping windows scores about 2."""
    use_model(pointer_model(tiny_qa, "zebra", "zebra"))
    parts = reference.windows(tiny_qa.tokenizer, "Who?", FILLER * 40)
    overlap_chars = parts[1].encoding.offsets[[i for i, ok in enumerate(parts[1].answerable) if ok][5]][0]
    context = (FILLER * 40)[:overlap_chars] + "zebra " + (FILLER * 40)[overlap_chars:]
    best = qa.answer("Who?", context)[0]
    assert best["answer"] == "zebra" and best["score"] == pytest.approx(2.0, abs=0.01)


def test_spans_never_come_from_the_question(tiny_qa, use_model):
    use_model(pointer_model(tiny_qa, "zebra", "zebra"))
    context = "The lion slept in the shade while the birds sang."
    for best in qa.answer("Where is the zebra?", context, top_k=3):
        assert "zebra" not in best["answer"] and context[best["start"]:best["end"]] == best["answer"]
    assert qa.answer("Where is the zebra?", context + " A zebra ran.")[0]["answer"] == "zebra"


def test_answers_are_at_most_fifteen_tokens(tiny_qa, use_model):
    use_model(pointer_model(tiny_qa, "zebra", "tiger"))
    near = "A zebra and a tiger."
    far = "A zebra " + "and a very tall " * 5 + "tiger."
    assert qa.answer("Who?", near)[0]["answer"] == "zebra and a tiger"
    for best in qa.answer("Who?", far, top_k=5):
        tokens = tiny_qa.tokenizer(best["answer"], add_special_tokens=False)["input_ids"]
        assert len(tokens) <= reference.MAX_ANSWER_TOKENS


def test_squad2_models_say_no_answer_when_the_null_score_wins(tiny_qa, use_model):
    use_model(pointer_model(tiny_qa, "[CLS]", "[CLS]"))  # everything points at [CLS]: "no answer"
    best = qa.answer(QUESTION, CONTEXT, top_k=2, no_answer=True)
    assert best[0] == {"answer": "", "score": pytest.approx(1.0, abs=1e-3), "start": 0, "end": 0}
    assert all(a["answer"] and a["score"] < 1e-3 for a in best[1:])  # spans: (almost) nothing left
    assert qa.answer(QUESTION, CONTEXT, no_answer=False)[0]["answer"]  # SQuAD 1 models always answer


def test_which_checkpoints_may_answer_nothing(settings):
    assert qa.allows_no_answer("deepset/roberta-base-squad2")
    assert not qa.allows_no_answer("distilbert/distilbert-base-cased-distilled-squad")
    assert not qa.allows_no_answer(None)


@pytest.mark.parametrize("question, context, top_k, message", [
    ("", CONTEXT, 1, "Enter a question"),
    (QUESTION, "   ", 1, "Enter a context"),
    (QUESTION, "x" * 20_001, 1, "limit is 20,000"),
    (QUESTION, CONTEXT, 0, "Top k"),
    (QUESTION, CONTEXT, 11, "Top k"),
    ("why " * 80, CONTEXT, 1, "Ask a shorter question"),
])
def test_bad_input_says_what_to_do(tiny_qa, question, context, top_k, message):
    with pytest.raises(InputError, match=message):
        qa.answer(question, context, top_k)


def test_a_sagemaker_endpoint_gets_the_4x_pipeline_call(tiny_qa, monkeypatch):
    calls = []

    def endpoint(inputs, **parameters):  # the container answers one dict when top_k is 1
        calls.append((inputs, parameters))
        return {"score": 0.5, "start": 25, "end": 30, "answer": "Paris"}

    loaded = Loaded(tiny_qa.resolved, None, None, 0, remote=endpoint)
    monkeypatch.setattr(loader, "get", lambda task, choice=None, on_progress=None: loaded)
    assert qa.answer(QUESTION, CONTEXT) == [{"answer": "Paris", "score": 0.5, "start": 25, "end": 30}]
    assert calls == [({"question": QUESTION, "context": CONTEXT}, {"top_k": 1, "handle_impossible_answer": False})]


def test_a_context_without_readable_words_is_refused(tiny_qa):
    with pytest.raises(InputError, match="no words this model can read"):
        qa.answer(QUESTION, "\u200b\u200b\u200b")
