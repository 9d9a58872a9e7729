"""Show code's reference modules: code the tasks import and run, printed by its own source.

Each module here imports only the standard library, torch, transformers, numpy and safetensors, never
the app, so what Show code prints runs on its own: the module's source, then a short footer that loads
the same model and calls the module on the user's inputs (`program`). The code a user copies is the code
that ran. The tasks import these modules inside functions: most of them import torch.
"""

from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOOTER = "# ---- Your inputs, as the app ran them"
FROM_PROJECT = "  # a file of the project's: run this in its folder"


def source(name: str) -> str:
    """The text of models/snippets/<name>.py, read without importing it."""
    return (HERE / f"{name}.py").read_text(encoding="utf-8")


def program(modules: Sequence[str], *lines: str) -> str:
    """The modules' source, then the footer `lines`: they load the model, call the modules on the user's
    inputs and print what the endpoint returned (`import json` is added when they print JSON)."""
    footer = "\n".join(lines)
    if "json." in footer:
        footer = f"import json\n\n{footer}"
    return "\n\n".join(source(name).rstrip("\n") for name in modules) + f"\n\n\n{FOOTER}\n{footer}\n"


def split(text: str) -> tuple[list[str], str]:
    """The reverse of `program` (for the Python guide): the modules a snippet prints, in order, and its footer."""
    head, marker, footer = text.partition(f"\n{FOOTER}\n")
    if not marker:
        return [], text
    found = {path.stem: head.find(source(path.stem).rstrip("\n")) for path in HERE.glob("*.py")}
    return sorted((name for name, at in found.items() if at >= 0 and name != "__init__"), key=found.get), footer


def project_file(path: Path) -> str:
    """How Show code names one of the project's own data files: relative to the project's folder, where a user
    runs the code they copied, never the server's own path (which would tell a visitor where the app lives)."""
    return path.resolve().relative_to(HERE.parents[1]).as_posix()


def load(auto_class: str, location: str, note: str = "", tokenizer_options: dict | None = None,
         device: str = "cpu", **options: object) -> str:
    """The lines that load the tokenizer and the model as the app does: same folder or Hub id, the same
    from_pretrained arguments (`options` for the model: revision, dtype, attention; `tokenizer_options` for the
    tokenizer: its revision), on the same device (the CPU, where from_pretrained puts it, goes unsaid).
    `note`: a comment on the model's line."""
    comment = f"  # {note}" if note else ""
    return (f"from transformers import {auto_class}, AutoTokenizer\n\n"
            f"tokenizer = AutoTokenizer.from_pretrained({location!r}{arguments(tokenizer_options or {})})\n"
            f"model = {auto_class}.from_pretrained({location!r}{arguments(options)}){moved_to(device)}.eval()"
            f"{comment}")


def moved_to(device: str) -> str:
    """The call that puts a loaded model on `device` (none for the CPU, where from_pretrained puts it)."""
    return f".to({device!r})" if device != "cpu" else ""


def arguments(options: dict) -> str:
    """Keyword arguments as they follow the first one in a call: ", key=value, ...", values as literals."""
    return "".join(f", {key}={value!r}" for key, value in options.items())


def call(function: str, *names: str, **values: object) -> str:
    """`function(name, ..., key=value, ...)`: names as written (the snippet's variables), values as literals."""
    return f"{function}({', '.join([*names, *(f'{key}={value!r}' for key, value in values.items())])})"
