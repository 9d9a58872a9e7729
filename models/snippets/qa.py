"""Extractive question answering as transformers 4.x's question-answering pipeline did it (5.x removed it).

The context is read in overlapping windows (384 tokens, 128 shared with the next); each window's start
and end logits become probabilities with a softmax over the window's context tokens; a span's score is
P(start) * P(end), spans are at most 15 tokens and never leave the context; answers are widened to whole
words; equal answers from different windows add their scores; SQuAD 2 models may answer "" ("no answer")
when the [CLS] score beats every span.

The Question answering tab runs this file, and its Show code prints it: it runs on its own.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

MAX_SEQ_LEN = 384  # the 4.x pipeline's default max_seq_len (capped by the tokenizer's own maximum)
DOC_STRIDE = 128  # tokens shared by neighbouring windows
MAX_ANSWER_TOKENS = 15
MASKED = -10000.0  # the logit the 4.x pipeline gives tokens that cannot be part of an answer


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


def window_size(tokenizer) -> tuple[int, int]:
    """(tokens per window, tokens shared by neighbouring windows) for this tokenizer."""
    max_seq_len = min(tokenizer.model_max_length, MAX_SEQ_LEN)
    return max_seq_len, min(max_seq_len // 2, DOC_STRIDE)


def question_room(tokenizer) -> int:
    """The most tokens a question may have so that every window still holds some of the context."""
    max_seq_len, stride = window_size(tokenizer)
    return max_seq_len - stride - tokenizer.num_special_tokens_to_add(pair=True) - 1


def windows(tokenizer, question: str, context: str) -> list[Window]:
    """Split question + context into overlapping windows as the 4.x pipeline did (no padding)."""
    max_seq_len, stride = window_size(tokenizer)
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


def forward(model, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Start and end logits of one window, as float32 arrays of shape (seq,)."""
    inputs = {name: torch.tensor([ids], device=model.device) for name, ids in window.inputs.items()}  # (1, seq)
    with torch.inference_mode():
        output = model(**inputs)
    # bf16 models: score in float32 like the 4.x pipeline did.
    return output.start_logits[0].float().cpu().numpy(), output.end_logits[0].float().cpu().numpy()


def _softmax(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    masked = np.where(allowed, logits, np.float32(MASKED))
    exp = np.exp(masked - masked.max())
    return exp / exp.sum()


def span_scores(start_logits: np.ndarray, end_logits: np.ndarray, answerable: list[bool],
                cls_index: int | None) -> tuple[np.ndarray, float]:
    """P(start) * P(end) for every (start, end) inside the context, and the null score.

    Tokens outside the context get the logit -10000 before the softmax, except [CLS], which SQuAD 2
    models use to say "no answer": its P(start) * P(end) is the null score, then it is removed.
    Returns (scores of shape (seq, seq), -1 where the span is not allowed; the null score).
    """
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


def best_spans(scores: np.ndarray, count: int) -> list[tuple[int, int, float]]:
    """The `count` highest-scoring allowed (start, end, score), best first."""
    flat = scores.flatten()
    if len(flat) <= count:
        order = np.argsort(-flat)
    else:  # the 4.x pipeline's selection: argpartition, then sort the chosen few
        chosen = np.argpartition(-flat, count)[:count]
        order = chosen[np.argsort(-flat[chosen])]
    starts, ends = np.unravel_index(order, scores.shape)
    return [(int(s), int(e), float(scores[s, e])) for s, e in zip(starts, ends) if scores[s, e] >= 0]


def characters(window: Window, start: int, end: int) -> tuple[int, int]:
    """Character span of tokens start..end, widened to whole words (the 4.x align_to_words)."""
    encoding = window.encoding
    try:
        first = encoding.word_to_chars(encoding.token_to_word(start), sequence_index=window.context_index)
        last = encoding.word_to_chars(encoding.token_to_word(end), sequence_index=window.context_index)
        return first[0], last[1]
    except Exception:  # tokenizers without words: keep to token offsets, as 4.x did
        return encoding.offsets[start][0], encoding.offsets[end][1]


def collect(context: str, scored: list[tuple[Window, np.ndarray, np.ndarray]], top_k: int, no_answer: bool,
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
            first, last = characters(window, start, end)
            text = context[first:last]
            same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
            if same is not None:
                same["score"] += score
            else:
                answers.append({"answer": text, "score": score, "start": first, "end": last})
    if no_answer:
        answers.append({"answer": "", "score": null_score, "start": 0, "end": 0})
    return sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]


def answer(model, tokenizer, question: str, context: str, top_k: int = 1, no_answer: bool = False,
           on_window=None) -> list[dict]:
    """The best `top_k` answers as {answer, score, start, end}; start and end index the context.

    no_answer: a SQuAD 2 model may answer "". on_window(i, count) is called before each window is read.
    """
    parts = windows(tokenizer, question, context)
    scored = []
    for i, window in enumerate(parts):
        if on_window:
            on_window(i, len(parts))
        scored.append((window, *forward(model, window)))
    return collect(context, scored, top_k, no_answer, tokenizer.cls_token_id)
