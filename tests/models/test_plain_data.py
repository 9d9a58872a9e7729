"""The model layer returns plain data: no module of it draws, builds HTML or shapes a gradio value."""

import re
from pathlib import Path

MODELS = Path(__file__).resolve().parents[2] / "models"
VIEW_CODE = re.compile(r"matplotlib|<iframe|<html|HighlightedText|^\s*(import|from) gradio")


def test_the_model_layer_draws_nothing():
    found = [f"{path.relative_to(MODELS.parent)}:{number}: {line.strip()}"
             for path in sorted(MODELS.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if VIEW_CODE.search(line)]
    assert found == [], "tabs/_views draws what the tabs show; models/ returns the data:\n" + "\n".join(found)
