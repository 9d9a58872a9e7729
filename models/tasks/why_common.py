"""What the "Why?" views share: their models, a private copy to hook, input checks, and Show code's loading lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from models import loader
from models.errors import InputError
from models.loader import Loaded, ProgressCallback, Resolved
from models.registry import spec

DEFAULT_CHOICE = ""  # the model choice that means "the task's default model"


def one_of(value: object, options: Iterable[str], what: str) -> str:
    """`value` if it is one of `options`, else an InputError listing them."""
    options = list(options)
    if value not in options:
        raise InputError(f"Unknown {what} {value!r}; pick one of: {', '.join(options)}.")
    return value


def choices(tasks: Iterable[str]) -> list[str]:
    """Every model the tasks offer (defaults first), for a picker shared by views that take a task."""
    return list(dict.fromkeys(choice for task in tasks for choice in loader.choices(task)))


def resolve(task: str, choice: str | None) -> Resolved:
    """Where `task`'s model comes from; a model of another task is refused with the ones this task offers."""
    choice = (choice or "").strip() or None
    if choice is not None and choice not in loader.choices(task):
        raise InputError(f"{choice!r} is not a {spec(task).title} model. For {spec(task).title} pick one of: "
                         f"{', '.join(loader.choices(task))} (or leave the model empty for the default).")
    return loader.resolve(task, choice)


def local_model(task: str, choice: str | None, on_progress: ProgressCallback | None = None) -> Loaded:
    """The model, loaded in this app: these views look inside it, which a remote endpoint does not allow."""
    resolve(task, choice)
    loaded = loader.get(task, (choice or "").strip() or None, on_progress)
    if loaded.model is None:
        raise InputError("This view looks inside the model, so it needs one loaded in this app, not a remote "
                         "endpoint: pick another model.")
    return loaded


def working_copy(model: Any, dtype: Any = None) -> Any:
    """A copy of the model's modules that shares its weights (or holds them converted to `dtype`).

    Hooks and settings go on the copy: the loaded model is shared with other tabs, whose requests run on it at
    the same time. Copying the module tree takes milliseconds; weights are only copied to change their dtype.
    """
    import copy
    import itertools

    import torch

    memo: dict[int, Any] = {}
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        if dtype is None or tensor.dtype == dtype or not tensor.is_floating_point():
            memo[id(tensor)] = tensor
        elif isinstance(tensor, torch.nn.Parameter):
            memo[id(tensor)] = torch.nn.Parameter(tensor.detach().to(dtype), requires_grad=False)
        else:
            memo[id(tensor)] = tensor.to(dtype)
    return copy.deepcopy(model, memo)


def within_tokens(tokenizer: Any, text: str, cap: int, what: str = "the text") -> str:
    """`text` if this model's tokenizer makes at most `cap` tokens of it (special tokens included)."""
    count = len(tokenizer(text)["input_ids"])
    if count > cap:
        raise InputError(f"{what.capitalize()} is {count} tokens; this view takes at most {cap}. Shorten it.")
    return text


def chunk_progress(on_progress: ProgressCallback | None, what: str):
    """A snippet's (done, total) callback, called after each chunk of work: it reports to the tab's progress
    bar, and ends the work (Stopped) once the request is asked to stop (its time budget, a cancel)."""
    from serving.bridge import Stopped, stop_requested

    def report(done: int, total: int) -> None:
        if stop_requested():  # nobody reads what the remaining chunks would add
            raise Stopped
        if on_progress is not None:
            on_progress(done / total, f"{what}: {done} of {total}")

    return report


def load_code(resolved: Resolved, *, float32: bool = False) -> str:
    """Show code's lines that load the model as the app does: its dtype, device and attention kernel; `float32`:
    then cast, as the app computes gradients."""
    from models import snippets

    options = resolved.snippet_kwargs()
    note = "eager: the default SDPA kernel returns no attention weights" if "attn_implementation" in options else ""
    lines = snippets.load(resolved.model_class, resolved.location_for_code, note, resolved.revision_kwargs,
                          resolved.device, **options)
    if float32 and resolved.dtype != "float32":
        lines += f"\nmodel = model.float()  # {resolved.dtype} weights, computed in float32: gradients need it"
    return lines
