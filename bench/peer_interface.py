"""The peer: the plain demo gradio's quickstart teaches, a gr.Interface whose function calls a pipeline.

`python bench/peer_interface.py --model FOLDER --port PORT`. Written as the quickstart writes it, with
gradio's defaults (one call at a time, no batching); `gr.Interface.from_pipeline` itself fails on
gradio 6.31 with transformers 5 (it imports the removed text2text_generation module).
"""

import argparse

import gradio as gr
from transformers import pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="a text-classification model folder")
    parser.add_argument("--port", type=int, default=7861)
    args = parser.parse_args()

    classifier = pipeline("text-classification", model=args.model)

    def sentiment(text):
        return {item["label"]: item["score"] for item in classifier(text, top_k=None)}

    demo = gr.Interface(fn=sentiment, inputs="text", outputs="label")
    demo.launch(server_name="127.0.0.1", server_port=args.port)


if __name__ == "__main__":
    main()
