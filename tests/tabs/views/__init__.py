"""Tests of tabs/_views/: plain data to what gradio shows."""
