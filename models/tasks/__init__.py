"""Task logic: plain functions from user inputs to plain data (JSON-able results, NumPy arrays); no gradio,
matplotlib or HTML here: tabs/_views draws what the tabs show."""
