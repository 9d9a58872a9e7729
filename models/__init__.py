"""The model layer: registry, loader, offline pack and task logic. Never imports gradio."""
