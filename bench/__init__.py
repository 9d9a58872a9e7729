"""The performance benchmark: this app beside the plain gradio demo and bare transformers (`python -m bench`)."""
