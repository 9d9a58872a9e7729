"""Fine-tuning lab tab: train a classifier (then use it in the Sentiment tab), a small LM, and see pair batches."""

from __future__ import annotations

import html
from collections.abc import Callable

import gradio as gr

import config
from models import limits, loader
from models.errors import InputError
from models.tasks import finetune
from serving.bridge import Bridge
from tabs import _common, _views

TITLE = "Fine-tuning lab"
TRAINING_ID = "training"  # every training event shares it: one training at a time on this server
QUEUE_NOTE = ("One training runs at a time on this server. If someone else is training, yours waits in "
              "the queue (its position shows over the results) and the other tabs keep working.")
TOPICS_CSV = """text,label
The striker scored twice in the second half.,sport
The team won the cup after extra time.,sport
She ran the marathon in under three hours.,sport
The goalkeeper saved a penalty in the last minute.,sport
The coach praised the defence after the match.,sport
Simmer the onions until they are soft and golden.,cooking
Bake the bread for forty minutes at high heat.,cooking
Whisk the eggs with sugar until the mix is pale.,cooking
Season the soup with salt and a little pepper.,cooking
Chop the parsley finely and stir it into the sauce.,cooking
The central bank raised interest rates again.,finance
Shares fell sharply after the quarterly results.,finance
The company reported a record profit this year.,finance
Investors moved their money into government bonds.,finance
Inflation slowed for the third month in a row.,finance
"""
PAIR_EXAMPLES = [
    ["The cat sat on the mat.", "A cat was sitting on the mat.", 3],
    ["He bought a new car last week.", "The weather was cold all week.", 1],
]


def _progress_bar(progress: gr.Progress) -> Callable[[dict], dict]:
    """Each update, shown on the progress bar on its way to the page."""
    def show(update: dict) -> dict:
        if update.get("total_steps"):
            progress(update["step"] / update["total_steps"],
                     desc=f"Step {update['step']} of {update['total_steps']} · loss {update['loss']:.4f}")
        else:
            progress(None, desc=update.get("status", "working").capitalize())
        return update
    return show


def train_classifier(examples: str, epochs: int, learning_rate: float, batch_size: int, labels: str,
                     freeze_embeddings: bool, choice: str, progress=gr.Progress()) -> Bridge[dict]:
    return finetune.train_classifier(examples, epochs, learning_rate, batch_size, labels, freeze_embeddings,
                                     choice).map(_progress_bar(progress))


def train_lm(text: str, steps: int, learning_rate: float, choice: str, progress=gr.Progress()) -> Bridge[dict]:
    return finetune.train_lm(text, steps, learning_rate, choice).map(_progress_bar(progress))


def read_upload(path: str | None) -> str:
    """The uploaded CSV's text (for the examples box), within the size cap."""
    if not path:
        return gr.skip()
    with open(path, "rb") as handle:
        raw = handle.read(limits.FINETUNE_CSV_CHARS * 4 + 1)  # a character is at most 4 bytes in UTF-8
    if len(raw) > limits.FINETUNE_CSV_CHARS * 4:  # said before decoding: a cut read ends mid-character
        raise InputError(f"The file is over {limits.FINETUNE_CSV_CHARS * 4 / 1e6:g} MB, more than "
                         f"{limits.FINETUNE_CSV_CHARS:,} characters can take; upload a smaller CSV.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("The file is not UTF-8 text; save it as a UTF-8 CSV and upload it again.") from None
    if len(text) > limits.FINETUNE_CSV_CHARS:
        raise InputError(f"The file is over {limits.FINETUNE_CSV_CHARS:,} characters; upload a smaller CSV.")
    return text


def saved_note(result: dict) -> tuple[str, str]:
    whose = ("everyone using this app sees it" if config.current().shared_my_model else
             f"only this browser tab or API client sees it; the app keeps the {limits.MY_MODELS_KEPT} most recent")
    note = (f"✅ Held-out accuracy **{result['accuracy']:.1%}** on {result['test_examples']} examples. "
            f"The model now serves the **Sentiment** tab as **{loader.MY_MODEL}** (pick it there; {whose}) and "
            f"is saved in {result['saved_to']} (safetensors). The code below saves your own copy and reloads it.")
    return note, finetune.reload_code()


def lm_note(result: dict) -> str:
    return (f"**Prompt:** {html.escape(result['prompt'])}\n\n**Before** (loss {result['loss_start']:.3f}): "
            f"{html.escape(result['before'])}\n\n**After** {result['steps']} steps (loss {result['loss_end']:.3f}): "
            f"{html.escape(result['after'])}")


def build() -> None:
    _common.explain("Fine-tuning starts from a pretrained model and keeps training it on your own examples. "
                    "A classifier gets a new, randomly initialised head on top of the encoder; a language "
                    "model keeps its head and just sees more text. Training runs on this server's CPU, with "
                    "a fresh copy of the model: the other tabs keep theirs.")
    with gr.Tabs():
        with gr.Tab("Classifier"):
            _classifier_section()
        with gr.Tab("Sentence pairs"):
            _pairs_section()
        with gr.Tab("Language model"):
            _lm_section()


def _bounded(label: str, value: int, low: int, high: int) -> gr.Number:
    # A Number without gradio bounds: the task code checks the range and names the field in its message.
    return gr.Number(value, precision=0, label=f"{label} ({low}-{high})")


def _learning_rate(value: float) -> gr.Number:
    return gr.Number(value, label=f"Learning rate ({limits.FINETUNE_LR_MIN:g}-{limits.FINETUNE_LR_MAX:g})")


def _train_and_cancel(label: str) -> tuple[gr.Button, gr.Button]:
    with gr.Row():
        train = gr.Button(label, variant="primary")
        cancel = gr.Button("Cancel", variant="stop")
    return train, cancel


def _live_plot(result: gr.JSON) -> gr.Plot:
    """A loss plot redrawn from the streamed results (the endpoint's only output stays the dict)."""
    plot = gr.Plot(label="Loss per step")
    result.change(_views.figures.training_progress, result, plot, api_visibility="private",
                  trigger_mode="always_last", concurrency_id="training_plots", concurrency_limit=4)
    return plot


def _classifier_section() -> None:
    gr.Markdown(f"Paste labelled examples as CSV with the header `text,label`, upload a CSV, or leave the box "
                f"empty to use the project's example set (400 short reviews, POSITIVE / NEGATIVE). Up to "
                f"{limits.FINETUNE_ROWS:,} examples of at most {limits.FINETUNE_EXAMPLE_CHARS} characters, "
                f"2 to {limits.FINETUNE_LABELS} labels, up to {limits.FINETUNE_EPOCHS} epochs. "
                f"{int(finetune.TEST_FRACTION * 100)}% of each label is held out to measure accuracy. {QUEUE_NOTE}")
    with gr.Row():
        with gr.Column():
            examples = gr.Textbox("", label="Labelled examples (CSV: text,label)", lines=8,
                                  max_length=limits.FINETUNE_CSV_CHARS,
                                  placeholder="Empty: the project's example set (assets/sentiment.csv)")
            upload = gr.UploadButton("Upload a CSV", file_types=[".csv", ".txt"], size="sm")
            with gr.Row():
                epochs = _bounded("Epochs", 3, 1, limits.FINETUNE_EPOCHS)
                learning_rate = _learning_rate(2e-4)
                batch_size = _bounded("Batch size", 16, 1, limits.FINETUNE_BATCH)
            labels = gr.Textbox("", label="Labels (optional, comma-separated)",
                                info="The classes, in order; a row with any other label is refused. "
                                     "Empty: every label found in the examples.")
            freeze = gr.Checkbox(value=True, label="Freeze the word embeddings",
                                 info="Faster, and a few hundred examples cannot improve a pretrained table.")
            picker, _ = _common.model_picker("finetune")
            train, cancel = _train_and_cancel("Train classifier")
            gr.Examples([["", 3, 2e-4, 16, ""], [TOPICS_CSV, 8, 5e-4, 4, "sport, cooking, finance"]],
                        [examples, epochs, learning_rate, batch_size, labels],
                        example_labels=["The project's review set", "Three topics, 15 sentences"])
        with gr.Column():
            result = gr.JSON(label="Progress, then the held-out metrics")
            _live_plot(result)
            note = gr.Markdown()
            reload = gr.Code(language="python", label="Reload the saved model", interactive=False)
    inputs = [examples, epochs, learning_rate, batch_size, labels, freeze, picker]
    event = gr.on([train.click], _common.guarded(train_classifier, limits.TRAINING_BUDGET_S), inputs, result,
                  api_name="train_classifier",
                  concurrency_id=TRAINING_ID, concurrency_limit=1)
    cancel.click(None, None, None, cancels=[event], api_visibility="private")
    event.success(saved_note, result, [note, reload], api_visibility="private")
    upload.upload(read_upload, upload, examples, api_visibility="private")
    _common.show_code(event, "train_classifier", inputs, finetune.classifier_code, link_runs=False)


def _pairs_section() -> None:
    gr.Markdown("Sentence-pair tasks such as MRPC (is the second sentence a paraphrase of the first?) feed both "
                "sentences to the model at once: `[CLS] first [SEP] second [SEP]`, with `token_type_ids` 0 for "
                "the first segment and 1 for the second. `DataCollatorWithPadding` pads every pair to the "
                "longest in the batch; `attention_mask` is 0 on the padding. Your pair comes first, with "
                "label -100 (no label: the loss ignores it), then pairs from the project's MRPC-style set.")
    with gr.Row():
        with gr.Column():
            sentence1 = gr.Textbox(label="Sentence 1", max_length=limits.FINETUNE_EXAMPLE_CHARS)
            sentence2 = gr.Textbox(label="Sentence 2", max_length=limits.FINETUNE_EXAMPLE_CHARS)
            count = _bounded("Pairs from the example set", 3, 0, limits.PAIR_ROWS - 1)
            picker, _ = _common.model_picker("finetune")
            button = gr.Button("Tokenize and pad", variant="primary")
            gr.Examples(PAIR_EXAMPLES, [sentence1, sentence2, count])
        with gr.Column():
            table = gr.HTML()
            tensors = gr.JSON(label="The batch (as lists)")
    inputs = [sentence1, sentence2, count, picker]
    event = gr.on([button.click, sentence2.submit], _common.guarded(finetune.pair_batch), inputs, tensors,
                  api_name="pair_view", concurrency_id=_common.concurrency_id("finetune"))
    event.success(_views.tables.pair_batch, tensors, table, api_visibility="private")
    _common.show_code(event, "pair_view", inputs, finetune.pairs_code)


def _lm_section() -> None:
    gr.Markdown(f"A causal language model learns to predict each next token. Paste up to "
                f"{limits.LM_TEXT_CHARS:,} characters (empty: the project's short text about transformers); "
                f"the model trains on {finetune.LM_BATCH} random {finetune.LM_BLOCK}-token pieces per step for up "
                f"to {limits.LM_STEPS} steps, then continues the text's first {finetune.LM_PROMPT_WORDS} words "
                f"greedily, before and after. {QUEUE_NOTE}")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox("", label="Training text", lines=8, max_length=limits.LM_TEXT_CHARS,
                              placeholder="Empty: assets/lm_corpus.txt")
            with gr.Row():
                steps = _bounded("Steps", 30, 1, limits.LM_STEPS)
                learning_rate = _learning_rate(1e-3)
            picker, _ = _common.model_picker("generate")
            train, cancel = _train_and_cancel("Train language model")
            gr.Examples([["", 30, 1e-3], ["", 100, 1e-3]], [text, steps, learning_rate])
        with gr.Column():
            result = gr.JSON(label="Progress, then the losses and generations")
            _live_plot(result)
            note = gr.Markdown()
    inputs = [text, steps, learning_rate, picker]
    event = gr.on([train.click], _common.guarded(train_lm, limits.TRAINING_BUDGET_S), inputs, result,
                  api_name="train_lm",
                  concurrency_id=TRAINING_ID, concurrency_limit=1)
    cancel.click(None, None, None, cancels=[event], api_visibility="private")
    event.success(lm_note, result, note, api_visibility="private")
    _common.show_code(event, "train_lm", inputs, finetune.lm_code, link_runs=False)
