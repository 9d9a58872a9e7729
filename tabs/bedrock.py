"""Bedrock playground tab: chat with foundation models through the Converse API, and generate images."""

from __future__ import annotations

import io
from collections.abc import Iterator

import gradio as gr
from PIL import Image

from cloud import bedrock
from models.errors import InputError
from tabs import _common

TITLE = "Bedrock playground"
SIZES = [f"{width}x{height}" for width, height in bedrock.IMAGE_SIZES]
PLAIN = "Plain boto3 (the same request)"
# Examples (and docs/python.md's): widely offered on-demand models; Refresh models lists what this account has.
CHAT_EXAMPLE = "Explain self-attention to a ten-year-old in three sentences."
DEFAULT_CHAT_MODEL = "amazon.nova-lite-v1:0"
IMAGE_EXAMPLE = "A watercolour robot reading a book under a tree"
DEFAULT_IMAGE_MODEL = "amazon.titan-image-generator-v2:0"


def status_note() -> str:
    """What to configure, or how the tab is connected; reads local settings only (no AWS call)."""
    problem = bedrock.credentials_problem()
    if problem:
        return f"⚠️ **Amazon Bedrock is not configured, so this tab cannot call it.** {problem}"
    return ("Uses your AWS configuration. Press **Refresh models** to list the models this account can use. "
            "Bedrock bills each call, per token for chat and per image.")


def models() -> tuple[gr.Dropdown, gr.Dropdown, dict]:
    chat = bedrock.list_chat_models()
    images = bedrock.list_image_models()
    listing = {"chat": [model_id for _, model_id in chat], "image": [model_id for _, model_id in images]}
    return (gr.Dropdown(choices=chat, value=chat[0][1] if chat else None),
            gr.Dropdown(choices=images, value=images[0][1] if images else None), listing)


def chat(message: str, history: list[dict], model_id: str, system: str, max_tokens: int, temperature: float,
         top_p: float, stop_sequences: str) -> Iterator[tuple[list[dict], dict | None, str]]:
    """Stream the answer into the chat; the token usage arrives with the last piece."""
    messages = [*(history or []), {"role": "user", "content": message}]
    answer = ""
    for piece in bedrock.stream_chat(model_id, messages, system, max_tokens, temperature, top_p,
                                     bedrock.parse_stop_sequences(stop_sequences)):
        if isinstance(piece, dict):
            yield [*messages, {"role": "assistant", "content": answer}], piece, ""
        else:
            answer += piece
            yield [*messages, {"role": "assistant", "content": answer}], gr.skip(), ""


def _size(size: str) -> tuple[int, int]:
    width, _, height = (size or "").partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise InputError(f"Pick a size from the list ({', '.join(SIZES)}).")
    return int(width), int(height)


def images(prompt: str, model_id: str, size: str, seed: int, count: int) -> list[Image.Image]:
    pngs = bedrock.generate_images(model_id, prompt, *_size(size), seed, count)
    return [Image.open(io.BytesIO(png)) for png in pngs]


def images_code(prompt: str, model_id: str, size: str, seed: int, count: int) -> str:
    return bedrock.images_code(prompt, model_id, *_size(size), seed, count)


def build() -> None:
    _common.explain("Foundation models hosted by Amazon Bedrock, called from this app with boto3: chat through "
                    "the Converse API (one request shape for every provider, answers streamed), and images "
                    "through Titan Image Generator or Nova Canvas. Nothing runs on this machine.")
    note = gr.Markdown()
    gr.on(None, _common.guarded(status_note), None, note, api_name="bedrock_status")  # at each page load
    refresh = gr.Button("Refresh models", size="sm")
    with gr.Accordion("Model ids (as the API returns them)", open=False):
        listing = gr.JSON(label="Models")
    chat_model = _chat_section()
    image_model = _image_section()
    refresh.click(_common.guarded(models), None, [chat_model, image_model, listing], api_name="bedrock_models")


def _chat_section() -> gr.Dropdown:
    gr.Markdown("### Chat")
    with gr.Row():
        with gr.Column(scale=2):
            chatbot = gr.Chatbot(label="Conversation", height=420, buttons=["copy", "copy_all"])
            message = gr.Textbox(label="Message", lines=2, max_length=bedrock.MESSAGE_CHARS,
                                 placeholder="Ask something, then press Enter")
            with gr.Row():
                send = gr.Button("Send", variant="primary")
                stop = gr.Button("Stop", variant="stop")
                gr.ClearButton([chatbot, message], value="Clear chat")
        with gr.Column(scale=1):
            model = gr.Dropdown([], label="Chat model", allow_custom_value=True,
                                info="Refresh the list, or type a model or inference profile id.")
            system = gr.Textbox(label="System prompt", lines=3, max_length=bedrock.SYSTEM_CHARS)
            max_tokens = gr.Slider(1, bedrock.MAX_TOKENS, value=512, step=1, label="Max tokens")
            temperature = gr.Slider(0.0, 1.0, value=0.7, step=0.05, label="Temperature")
            top_p = gr.Slider(0.01, 1.0, value=1.0, step=0.01, label="Top-p (1.0: not sent)")
            stops = gr.Textbox(label=f"Stop sequences (one per line, up to {bedrock.STOP_SEQUENCES})", lines=2)
            usage = gr.JSON(label="Token usage")
    gr.Examples([[CHAT_EXAMPLE, DEFAULT_CHAT_MODEL]], [message, model])
    inputs = [message, chatbot, model, system, max_tokens, temperature, top_p, stops]
    event = gr.on([send.click, message.submit], _common.guarded(chat), inputs, [chatbot, usage, message],
                  api_name="bedrock_chat", concurrency_limit=4)
    stop.click(None, None, None, cancels=[event], api_visibility="private")
    # Links fill the chat without sending it: every call is billed to the account.
    _common.show_code(event, "bedrock_chat", inputs, bedrock.chat_code, link_runs=False, plain_label=PLAIN)
    return model


def _image_section() -> gr.Dropdown:
    gr.Markdown("### Images")
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(label="Image prompt", lines=2, max_length=1024,
                                info="Up to 512 characters for Titan, 1,024 for Nova Canvas.")
            model = gr.Dropdown([], label="Image model", allow_custom_value=True,
                                info="Amazon Titan Image Generator or Nova Canvas.")
            with gr.Row():
                size = gr.Dropdown(SIZES, value="512x512", label="Size")
                seed = gr.Number(value=0, precision=0, minimum=0, maximum=bedrock.IMAGE_SEED_MAX, label="Seed")
                count = gr.Slider(1, bedrock.IMAGE_COUNT, value=1, step=1, label="Images")
            button = gr.Button("Generate images", variant="primary")
        with gr.Column():
            gallery = gr.Gallery(label="Images", format="png", columns=2,
                                 buttons=["download", "download_all", "fullscreen"])
    gr.Examples([[IMAGE_EXAMPLE, DEFAULT_IMAGE_MODEL]], [prompt, model])
    inputs = [prompt, model, size, seed, count]
    event = gr.on([button.click, prompt.submit], _common.guarded(images), inputs, gallery, api_name="bedrock_images",
                  concurrency_limit=2)
    _common.show_code(event, "bedrock_images", inputs, images_code, link_runs=False, plain_label=PLAIN)
    return model
