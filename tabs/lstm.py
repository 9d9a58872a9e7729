"""LSTM lesson tab: train a sequence-to-sequence LSTM translator here, and see why attention won."""

from __future__ import annotations

import gradio as gr

from models import limits
from models.tasks import lstm
from serving.bridge import Bridge
from tabs import _common, _received, _views

TITLE = "LSTM vs attention"
TRAINING_ID = "training"  # shared with the fine-tuning lab: one training at a time on this server
EXAMPLES = [
    "Cats like milk.",
    "Where is the train station?",
    "My brother lives in a small village near the mountains and works in the city.",
]


def train(steps: int, progress=gr.Progress()) -> Bridge[dict]:
    def shown(update: dict) -> dict:  # on the progress bar on its way to the page
        if update.get("total_steps"):
            progress(update["step"] / update["total_steps"],
                     desc=f"Step {update['step']} of {update['total_steps']} · loss {update['loss']:.4f}")
        return update

    return lstm.train(steps).map(shown)


def compare(choice: str, progress=gr.Progress()) -> dict:
    progress(None, desc="Translating the held-out phrases with T5 and timing both")
    return lstm.compare(choice)


TIMING = ("tokens", "lstm_ms", "lstm_sequential_steps", "transformer_ms", "transformer_sequential_steps")


def _timing(value: object, where: str) -> dict:
    row = _received.record(value, where, TIMING)
    for key in TIMING:
        _received.number(row[key], f"{where}.{key}")
    return row


def comparison_view(result: dict) -> tuple[object, str]:
    """The loss and BLEU-1-by-length figure, and the time-per-step table (from an /lstm_compare result
    the page sends back: checked first)."""
    figure = _views.figures.lstm_comparison(lstm.current().result["losses"], result)
    timings = _received.each(result.get("time_per_step"), "time_per_step", len(lstm.TIMED_LENGTHS), _timing)
    rows = "\n".join(f"| {r['tokens']} | {r['lstm_ms']} ms ({r['lstm_sequential_steps']} steps) | "
                     f"{r['transformer_ms']} ms ({r['transformer_sequential_steps']} step) |"
                     for r in timings)
    table = ("**Time to encode n tokens** (one LSTM cell stepping through them vs one transformer layer of the "
             "same width taking them all at once; a GPU widens the gap, since only the transformer's work "
             f"can run in parallel):\n\n| tokens | LSTM | transformer layer |\n|---|---|---|\n{rows}")
    return figure, table


def build() -> None:
    _common.explain(
        "Before transformers, translation used two LSTMs: an encoder reads the English words one after "
        "another into a pair of state vectors, and a decoder starting from `<sos>` writes German words one "
        "after another until it writes `<eos>` (padding `<pad>` fills short sentences in a batch). Train one "
        "here on the English-German phrases written for this project (assets/en_de_phrases.tsv; "
        f"{int(lstm.HELD_OUT * 100)}% of each length held out), then put it beside T5.")
    gr.Markdown(f"**The attention map the LSTM lacks.** {lstm.ATTENTION_NOTE}")
    with gr.Row():
        with gr.Column():
            steps = gr.Number(300, precision=0, label=f"Training steps (1-{limits.LSTM_STEPS}, batches of "
                                                      f"{lstm.BATCH} phrases)")
            with gr.Row():
                train_button = gr.Button("Train", variant="primary")
                cancel = gr.Button("Cancel", variant="stop")
            gr.Markdown("One training runs at a time on this server (shared with the Fine-tuning lab); if one "
                        "is running, yours waits in the queue.")
        with gr.Column():
            result = gr.JSON(label="Progress, then the losses and held-out quality")
            plot = gr.Plot(label="Loss per step")
    result.change(_views.figures.training_progress, result, plot, api_visibility="private",
                  trigger_mode="always_last", concurrency_id="training_plots", concurrency_limit=4)
    event = gr.on([train_button.click], _common.guarded(train, limits.TRAINING_BUDGET_S), [steps], result,
                  api_name="lstm_train",
                  concurrency_id=TRAINING_ID, concurrency_limit=1)
    cancel.click(None, None, None, cancels=[event], api_visibility="private")
    _common.show_code(event, "lstm_train", [steps], lstm.train_code, link_runs=False)  # a link never trains
    _translate_section()


def _translate_section() -> None:
    gr.Markdown("### Translate with both")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="English", max_length=limits.LSTM_TEXT_CHARS,
                              info=f"Up to {limits.LSTM_TEXT_CHARS} characters; words the LSTM never saw "
                                   "become <unk>.")
            picker, _ = _common.model_picker("translate")
            button = gr.Button("Translate", variant="primary")
            gr.Examples(EXAMPLES, [text])
        with gr.Column():
            from_lstm = gr.Textbox(label="LSTM (greedy, until <eos>)")
            from_t5 = gr.Textbox(label="T5 (the Translation tab's model)")
            _common.link_to("cross_attention", {"text": text, "choice": picker},
                            "See where T5 looks while it translates this sentence (its cross-attention) →",
                            fixed={"target_language": "German"})
    event = gr.on([button.click, text.submit], _common.guarded(lstm.translate), [text, picker],
                  [from_lstm, from_t5], api_name="lstm_translate",
                  concurrency_id=_common.concurrency_id("translate"))
    # Links fill these two without running them: they need an LSTM trained first.
    _common.show_code(event, "lstm_translate", [text, picker], lstm.translate_code, link_runs=False)
    gr.Markdown("### Compare")
    compare_button = gr.Button("Compare on the held-out phrases")
    with gr.Row():
        figure = gr.Plot(label="Loss, and held-out BLEU-1 by sentence length")
        table = gr.Markdown()
    comparison = gr.JSON(label="Comparison")
    compared = compare_button.click(_common.guarded(compare), picker, comparison, api_name="lstm_compare",
                                    concurrency_id=_common.concurrency_id("translate"))
    compared.success(comparison_view, comparison, [figure, table], api_visibility="private")
    _common.show_code(compared, "lstm_compare", [picker], lstm.compare_code, link_runs=False)
