"""Extractive question answering, as transformers 4.x's question-answering pipeline did it.

transformers 5 removed that pipeline; models/snippets/qa.py keeps its behaviour on
AutoModelForQuestionAnswering (windows -> forward -> collect), and Show code prints that file.
This module checks the inputs, runs it, and asks a SageMaker endpoint instead where one serves.
"""

from __future__ import annotations

from models import limits, loader, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import seq2seq
from serving.bridge import Stopped, stop_requested

# Checkpoints trained on SQuAD 2.0 can say "no answer"; their ids say so.
NO_ANSWER_MARKERS = ("squad2", "squad_v2", "squadv2")


def allows_no_answer(choice: str | None) -> bool:
    """SQuAD 2 checkpoints (by their id or folder name) may answer "no answer"."""
    resolved = loader.resolve("qa", choice)
    name = f"{resolved.choice} {resolved.location}".lower()
    return any(marker in name for marker in NO_ANSWER_MARKERS)


def _read(loaded: loader.Loaded, question: str, context: str, top_k: int, no_answer: bool,
          on_progress: ProgressCallback | None) -> list[dict]:
    from models.snippets import qa as reference

    tokens = len(loaded.tokenizer(question, add_special_tokens=False)["input_ids"])
    allowed = min(limits.QA_QUESTION_TOKENS, reference.question_room(loaded.tokenizer))
    if tokens > allowed:
        raise InputError(f"The question is {tokens} tokens long; this model takes at most {allowed}. "
                         "Ask a shorter question.")

    def on_window(i: int, count: int) -> None:
        if stop_requested():  # the request's time budget, or a cancel: nobody reads the answer
            raise Stopped
        if on_progress and count > 1:
            on_progress(i / count, f"Reading window {i + 1} of {count}")

    return reference.answer(loaded.model, loaded.tokenizer, question, context, top_k, no_answer, on_window)


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


def code(question: str, context: str, top_k: int = 1, choice: str | None = None) -> str:
    """models/snippets/qa.py and a call on these inputs: prints what `answer` returns."""
    resolved = loader.resolve("qa", choice)
    no_answer = allows_no_answer(choice)
    if resolved.source == "sagemaker":
        return seq2seq.remote_code(resolved.location, {"question": question, "context": context},
                                   {"top_k": int(top_k), "handle_impossible_answer": no_answer})
    return snippets.program(
        ["qa"], resolved.load_code("AutoModelForQuestionAnswering"),
        "answers = " + snippets.call("answer", "model", "tokenizer", question=question, context=context,
                                     top_k=int(top_k), no_answer=no_answer),
        "print(json.dumps(answers))")
