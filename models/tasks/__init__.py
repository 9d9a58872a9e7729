"""Task logic: plain functions from user inputs to plain data (JSON-able results, NumPy arrays); no gradio,
no figures and no HTML here: tabs/_views draws what the tabs show."""
