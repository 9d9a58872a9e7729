"""Task logic: plain functions from user inputs to JSON-able results; no gradio here."""
