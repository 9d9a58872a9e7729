"""Question answering tab: the answer span found in a context, marked in place, with its alternatives."""

import gradio as gr

from models import limits
from models.tasks import qa
from tabs import _common, _views

TITLE = "Question answering"
CONTEXT = ("The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris. It was designed "
           "by the company of Gustave Eiffel and built from 1887 to 1889 as the entrance to the 1889 World's "
           "Fair. At 330 metres, it was the tallest man-made structure in the world for 41 years.")
EXAMPLES = [
    ["Who designed the Eiffel Tower?", CONTEXT, 1],
    ["How tall is the tower?", CONTEXT, 3],
    ["When was it built?", CONTEXT, 3],
]


def answer(question: str, context: str, top_k: int, choice: str,
           progress=gr.Progress()) -> tuple[str, dict, list[dict]]:
    answers = qa.answer(question, context, top_k, choice, _common.progress_callback(progress))
    return answers[0]["answer"], _views.highlight.answer(context, answers), answers


def verdict(answers: list[dict]) -> str:
    """A line under the answer: its score, or that the model says the context has none."""
    if not answers:
        return ""
    best = answers[0]
    if best["end"] <= best["start"]:
        return (f"**No answer:** the model's null score ({best['score']:.4f}) beats every span, so it says "
                "the context does not answer the question.")
    return f"**Score** {best['score']:.4f} = P(start) × P(end), characters {best['start']}–{best['end']}."


def build() -> None:
    _common.explain(
        "Extractive QA picks a span of the context. The question and the context go in together; the model "
        "gives every context token a start and an end score, and the best span maximises "
        "P(start) × P(end) (at most 15 tokens). Long contexts are read in overlapping windows of 384 tokens, "
        "so an answer anywhere is found. SQuAD 2 models may also answer \"no answer\".")
    with gr.Row():
        with gr.Column():
            question = gr.Textbox(label="Question", max_length=limits.QA_QUESTION_CHARS,
                                  info=f"Up to {limits.QA_QUESTION_CHARS} characters.")
            context = gr.Textbox(label="Context", lines=8, max_length=limits.QA_CONTEXT_CHARS,
                                 info=f"Up to {limits.QA_CONTEXT_CHARS:,} characters.")
            top_k = gr.Slider(1, limits.QA_TOP_K, value=1, step=1, label="Answers (top k)")
            picker, _ = _common.model_picker("qa")
            button = gr.Button("Answer", variant="primary")
            gr.Examples(EXAMPLES, [question, context, top_k])
        with gr.Column():
            best = gr.Textbox(label="Answer", interactive=False)
            note = gr.Markdown()
            marked = gr.HighlightedText(label="The answer in the context")
            every = gr.JSON(label="Answers as returned by the API", open=False)
    inputs = [question, context, top_k, picker]
    event = gr.on([button.click, question.submit], _common.guarded(answer), inputs, [best, marked, every],
                  api_name="qa", concurrency_id=_common.concurrency_id("qa"))
    event.success(verdict, every, note, api_visibility="private")
    _common.show_code(event, "qa", inputs, qa.code)
