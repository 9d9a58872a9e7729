"""Extractive question answering, as transformers 4.x's question-answering pipeline did it.

transformers 5 removed that pipeline; this module keeps its behaviour on AutoModelForQuestionAnswering:
the context is read in overlapping windows (384 tokens, stride 128), each window's start and end
logits become probabilities with a softmax over the window's context tokens, a span's score is
P(start) * P(end), spans are at most 15 tokens and never leave the context, answers are widened to
whole words, equal answers from different windows add their scores, and SQuAD 2 models may answer
"no answer" when the [CLS] score beats every span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import limits, loader, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import seq2seq

MAX_SEQ_LEN = 384  # the 4.x pipeline's default max_seq_len (capped by the tokenizer's own maximum)
DOC_STRIDE = 128  # tokens shared by neighbouring windows
MAX_ANSWER_TOKENS = 15
MASKED = -10000.0  # the logit the 4.x pipeline gives tokens that cannot be part of an answer
# Checkpoints trained on SQuAD 2.0 can say "no answer"; their ids say so.
NO_ANSWER_MARKERS = ("squad2", "squad_v2", "squadv2")


@dataclass(frozen=True)
class Window:
    """One window of the context: the model's inputs and the tokenizers.Encoding that maps tokens to text."""

    inputs: dict[str, list[int]]
    encoding: Any  # tokenizers.Encoding: token_to_word, word_to_chars, offsets, sequence_ids
    context_index: int  # which sequence of the pair is the context (1 when the question comes first)

    @property
    def answerable(self) -> list[bool]:
        """True for tokens of the context, the only tokens an answer may start or end on."""
        return [sid == self.context_index for sid in self.encoding.sequence_ids]


def _window_size(tokenizer) -> tuple[int, int]:
    max_seq_len = min(tokenizer.model_max_length, MAX_SEQ_LEN)
    return max_seq_len, min(max_seq_len // 2, DOC_STRIDE)


def windows(tokenizer, question: str, context: str) -> list[Window]:
    """Split question + context into overlapping windows as the 4.x pipeline did (no padding)."""
    max_seq_len, stride = _window_size(tokenizer)
    question_tokens = len(tokenizer(question, add_special_tokens=False)["input_ids"])
    room = max_seq_len - stride - tokenizer.num_special_tokens_to_add(pair=True) - 1
    allowed = min(limits.QA_QUESTION_TOKENS, room)
    if question_tokens > allowed:
        raise InputError(f"The question is {question_tokens} tokens long; this model takes at most {allowed}. "
                         "Ask a shorter question.")
    question_first = tokenizer.padding_side == "right"
    pair = (question, context) if question_first else (context, question)
    encoded = tokenizer(
        *pair, truncation="only_second" if question_first else "only_first", max_length=max_seq_len,
        stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True,
        return_token_type_ids=True, padding=False,
    )
    names = tokenizer.model_input_names  # DistilBERT and RoBERTa take no token_type_ids
    return [
        Window({name: encoded[name][i] for name in names}, encoded.encodings[i], 1 if question_first else 0)
        for i in range(len(encoded["input_ids"]))
    ]


def forward(model, window: Window):
    """Start and end logits of one window, as float32 numpy arrays of shape (seq,)."""
    import torch

    inputs = {name: torch.tensor([ids]) for name, ids in window.inputs.items()}  # each (1, seq)
    with torch.inference_mode():
        output = model(**inputs)
    # bf16 models: score in float32 like the 4.x pipeline did.
    return output.start_logits[0].float().numpy(), output.end_logits[0].float().numpy()


def _softmax(logits, allowed):
    import numpy as np

    masked = np.where(allowed, logits, np.float32(MASKED))
    exp = np.exp(masked - masked.max())
    return exp / exp.sum()


def span_scores(start_logits, end_logits, answerable: list[bool], cls_index: int | None):
    """P(start) * P(end) for every (start, end) inside the context, and the null score.

    Tokens outside the context get the logit -10000 before the softmax, except [CLS], which SQuAD 2
    models use to say "no answer": its P(start) * P(end) is the null score, then it is removed.
    Returns (scores of shape (seq, seq), -1 where the span is not allowed; the null score).
    """
    import numpy as np

    allowed = np.array(answerable)
    if cls_index is not None:
        allowed[cls_index] = True
    start, end = _softmax(start_logits, allowed), _softmax(end_logits, allowed)
    if cls_index is None:  # no [CLS] to point at: the null answer has no probability (as in 4.x)
        null = 0.0
    else:
        null = float(start[cls_index] * end[cls_index])
        start[cls_index] = end[cls_index] = 0.0
    # (seq, seq): P(start) * P(end) where end >= start (triu) and end - start < MAX_ANSWER_TOKENS (tril).
    scores = np.tril(np.triu(np.outer(start, end)), MAX_ANSWER_TOKENS - 1)
    context = np.array(answerable)
    band = np.tril(np.triu(np.ones_like(scores, dtype=bool)), MAX_ANSWER_TOKENS - 1)
    # Spans that may not be answers get -1, so that a span whose probability underflowed to 0 still counts.
    return np.where(band & context[:, None] & context[None, :], scores, np.float32(-1.0)), null


def best_spans(scores, count: int) -> list[tuple[int, int, float]]:
    """The `count` highest-scoring allowed (start, end, score), best first."""
    import numpy as np

    flat = scores.flatten()
    if len(flat) <= count:
        order = np.argsort(-flat)
    else:  # the 4.x pipeline's selection: argpartition, then sort the chosen few
        chosen = np.argpartition(-flat, count)[:count]
        order = chosen[np.argsort(-flat[chosen])]
    starts, ends = np.unravel_index(order, scores.shape)
    return [(int(s), int(e), float(scores[s, e])) for s, e in zip(starts, ends) if scores[s, e] >= 0]


def _characters(window: Window, start: int, end: int) -> tuple[int, int]:
    """Character span of tokens start..end, widened to whole words (the 4.x align_to_words)."""
    encoding = window.encoding
    try:
        first = encoding.word_to_chars(encoding.token_to_word(start), sequence_index=window.context_index)
        last = encoding.word_to_chars(encoding.token_to_word(end), sequence_index=window.context_index)
        return first[0], last[1]
    except Exception:  # tokenizers without words: keep to token offsets, as 4.x did
        return encoding.offsets[start][0], encoding.offsets[end][1]


def collect(context: str, scored: list[tuple[Window, Any, Any]], top_k: int, no_answer: bool,
            cls_token_id: int | None) -> list[dict]:
    """Answers from every window's logits: merged by text, the null answer added, best `top_k` first."""
    answers: list[dict] = []
    null_score = 1_000_000.0  # the smallest null score over windows wins, as in 4.x
    for window, start_logits, end_logits in scored:
        ids = window.inputs["input_ids"]
        cls_index = ids.index(cls_token_id) if cls_token_id in ids else None
        scores, null = span_scores(start_logits, end_logits, window.answerable, cls_index)
        if no_answer:
            null_score = min(null_score, null)
        # 4.x took top_k * 2 + 10 per window: some candidates merge once widened to whole words.
        for start, end, score in best_spans(scores, top_k * 2 + 10):
            first, last = _characters(window, start, end)
            text = context[first:last]
            same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
            if same is not None:
                same["score"] += score
            else:
                answers.append({"answer": text, "score": score, "start": first, "end": last})
    if no_answer:
        answers.append({"answer": "", "score": null_score, "start": 0, "end": 0})
    return sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]


def allows_no_answer(choice: str | None) -> bool:
    """SQuAD 2 checkpoints (by their id or folder name) may answer "no answer"."""
    resolved = loader.resolve("qa", choice)
    name = f"{resolved.choice} {resolved.location}".lower()
    return any(marker in name for marker in NO_ANSWER_MARKERS)


def _read(loaded: loader.Loaded, question: str, context: str, top_k: int, no_answer: bool,
          on_progress: ProgressCallback | None) -> list[dict]:
    parts = windows(loaded.tokenizer, question, context)
    scored = []
    for i, window in enumerate(parts):
        if on_progress and len(parts) > 1:
            on_progress(i / len(parts), f"Reading window {i + 1} of {len(parts)}")
        scored.append((window, *forward(loaded.model, window)))
    return collect(context, scored, top_k, no_answer, loaded.tokenizer.cls_token_id)


def _ask_endpoint(loaded: loader.Loaded, question: str, context: str, top_k: int, no_answer: bool) -> list[dict]:
    """A SageMaker endpoint runs the 4.x pipeline itself; its answer in our shape."""
    found = seq2seq.remote_call(loaded, {"question": question, "context": context},
                                {"top_k": top_k, "handle_impossible_answer": no_answer})
    return [{"answer": a["answer"], "score": float(a["score"]), "start": int(a["start"]), "end": int(a["end"])}
            for a in found]


def answer(question: str, context: str, top_k: int = 1, choice: str | None = None,
           on_progress: ProgressCallback | None = None, no_answer: bool | None = None) -> list[dict]:
    """The best `top_k` answers as {answer, score, start, end}; start/end index the context as given.

    no_answer=None decides by the checkpoint (SQuAD 2 models may answer ""), True/False forces it.
    """
    question = validate.text(question, "a question", limits.QA_QUESTION_CHARS)
    context = validate.text(context, "a context", limits.QA_CONTEXT_CHARS)
    top_k = validate.integer(top_k, "top k", 1, limits.QA_TOP_K)
    no_answer = allows_no_answer(choice) if no_answer is None else no_answer
    loaded = loader.get("qa", choice, on_progress)
    if loaded.remote is not None:
        answers = _ask_endpoint(loaded, question, context, top_k, no_answer)
    else:
        answers = _read(loaded, question, context, top_k, no_answer, on_progress)
    if not answers:
        raise InputError("The context has no words this model can read, so there is no span to answer with. "
                         "Paste the context as plain text.")
    return answers


_CODE = '''import numpy as np
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained({location!r}{tokenizer_args})
model = AutoModelForQuestionAnswering.from_pretrained({location!r}{model_args}).eval()
question = {question!r}
context = {context!r}
top_k, no_answer = {top_k!r}, {no_answer!r}  # no_answer: a SQuAD 2 model may answer ""

# Overlapping windows of at most 384 tokens, 128 shared with the next: [CLS] question [SEP] context [SEP]
max_len = min(tokenizer.model_max_length, 384)
enc = tokenizer(question, context, truncation="only_second", max_length=max_len, stride=min(max_len // 2, 128),
                return_overflowing_tokens=True, return_offsets_mapping=True)
answers, null_score = [], 1e6
for i, window in enumerate(enc.encodings):
    inputs = {{name: torch.tensor([enc[name][i]]) for name in tokenizer.model_input_names}}  # (1, seq)
    with torch.inference_mode():
        out = model(**inputs)
    in_context = np.array([sid == 1 for sid in window.sequence_ids])  # (seq,)
    cls = window.ids.index(tokenizer.cls_token_id)
    allowed = in_context.copy()
    allowed[cls] = True  # [CLS] stands for "no answer"
    start, end = [np.exp(x - x.max()) / np.exp(x - x.max()).sum()
                  for x in (np.where(allowed, logits[0].numpy(), np.float32(-10000.0))
                            for logits in (out.start_logits, out.end_logits))]
    null_score = min(null_score, float(start[cls] * end[cls]))
    start[cls] = end[cls] = 0.0
    # P(start) * P(end) for spans inside the context, end >= start, at most 15 tokens, else -1: (seq, seq)
    valid = np.tril(np.triu(np.outer(in_context, in_context)), 14)
    scores = np.where(valid, np.outer(start, end), np.float32(-1.0))
    flat, keep = scores.flatten(), top_k * 2 + 10
    best = np.argpartition(-flat, keep)[:keep] if len(flat) > keep else np.arange(len(flat))
    for s, e in zip(*np.unravel_index(best[np.argsort(-flat[best])], scores.shape)):
        if scores[s, e] < 0:
            continue
        # Widen the span to whole words, in characters of the context.
        first = window.word_to_chars(window.token_to_word(s), sequence_index=1)[0]
        last = window.word_to_chars(window.token_to_word(e), sequence_index=1)[1]
        same = [a for a in answers if a["answer"].lower() == context[first:last].lower()]
        if same:  # the same answer from another window: scores add up
            same[0]["score"] += float(scores[s, e])
        else:
            answers.append({{"answer": context[first:last], "score": float(scores[s, e]), "start": first, "end": last}})
if no_answer:
    answers.append({{"answer": "", "score": null_score, "start": 0, "end": 0}})
answers = sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]
print([{{**a, "score": round(a["score"], 4)}} for a in answers])
'''


def code(question: str, context: str, top_k: int = 1, choice: str | None = None) -> str:
    """Plain transformers code (numpy for the span search) that prints what `answer` returns, scores rounded."""
    resolved = loader.resolve("qa", choice)
    if resolved.source == "sagemaker":
        return seq2seq.remote_code(resolved.location, {"question": question, "context": context},
                                   {"top_k": int(top_k), "handle_impossible_answer": allows_no_answer(choice)})
    return _CODE.format(location=resolved.location_for_code, tokenizer_args=resolved.tokenizer_args,
                        model_args=resolved.from_pretrained_args, question=question,
                        context=context, top_k=int(top_k), no_answer=allows_no_answer(choice))
