"""The models the learning tabs look inside (the BERT-family encoder, or GPT-2): one forward pass that
keeps every attention map and hidden state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import limits, loader, validate
from models.errors import InputError
from models.loader import Loaded, ProgressCallback

TASKS = ("encoder", "generate")  # the encoder (bidirectional) and GPT-2 (causal)


def choices() -> list[str]:
    """The models a learning tab offers: the encoder's, then GPT-2's (defaults first)."""
    return list(dict.fromkeys(choice for task in TASKS for choice in loader.choices(task)))


def task_of(choice: str | None) -> str:
    """The registry task a choice belongs to ("encoder" when none is given)."""
    choice = (choice or "").strip()
    for task in TASKS:
        if not choice or choice in loader.choices(task):
            return task
    raise InputError(f"Unknown model {choice!r}. Pick one of: {', '.join(choices())}.")


def get(choice: str | None, on_progress: ProgressCallback | None = None) -> Loaded:
    """The chosen model, loaded once and shared (eager attention, so attentions come back)."""
    loaded = loader.get(task_of(choice), choice, on_progress)
    if loaded.model is None:
        raise InputError("This view looks inside the model, so it needs one loaded in this app, "
                         "not a remote endpoint: pick another model.")
    return loaded


@dataclass(frozen=True)
class Forward:
    """One sentence through the model: its tokens, and every layer's attentions and hidden states."""

    tokens: list[str]
    special: list[bool]  # [CLS], [SEP], <|endoftext|>: added by the tokenizer, not in the text
    offsets: list[tuple[int, int]]
    attentions: Any  # numpy (layers, heads, seq, seq): row i = how token i spreads its attention
    hidden: Any  # numpy (layers + 1, seq, hidden): [0] the embeddings, [l] the output of layer l
    causal: bool  # GPT-2: a token attends only to itself and the tokens before it
    loaded: Loaded
    dtype: str  # the weights' dtype: "float32", or "bfloat16" where the loader chose the fast path

    @property
    def layers(self) -> int:
        return self.attentions.shape[0]

    @property
    def heads(self) -> int:
        return self.attentions.shape[1]


def checked_text(loaded: Loaded, text: str, what: str = "the text") -> str:
    """The text, refused when it has more tokens than the attention views can draw."""
    text = validate.text(text, what, limits.ATTENTION_CHARS)
    count = len(loaded.tokenizer(text)["input_ids"])
    if count > limits.ATTENTION_TOKENS:
        raise InputError(f"{what.capitalize()} is {count} tokens; attention views show at most "
                         f"{limits.ATTENTION_TOKENS}. Shorten it.")
    return text


def forward(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None,
            what: str = "the text") -> Forward:
    """Run one sentence through the chosen model (models/snippets/attention.look), keeping all attentions
    and hidden states."""
    from models.snippets import attention as reference

    loaded = get(choice, on_progress)
    text = checked_text(loaded, text, what)
    try:
        seen = reference.look(loaded.model, loaded.tokenizer, text)
    except ValueError as exc:  # the model returned no attention weights
        raise InputError(f"{exc} Pick another model.") from None
    return Forward(**vars(seen), causal=task_of(choice) == "generate", loaded=loaded,
                   dtype=str(loaded.model.dtype).removeprefix("torch."))


def load_code(choice: str | None) -> str:
    """Show code's lines that load the same model and tokenizer as the app: same dtype, eager attention
    (the default SDPA kernel returns no attention weights)."""
    task = task_of(choice)
    resolved = loader.resolve(task, choice)
    auto_class = "AutoModelForCausalLM" if task == "generate" else "AutoModel"
    return resolved.load_code(auto_class, "eager: the default SDPA kernel returns no attention weights")


def shape(choice: str | None) -> tuple[int, int]:
    """(layers, heads per layer) of a choice, from its config alone (no weights loaded). Asked at each page load
    too, beside other first uses of transformers: its class is taken under the loader's import lock."""
    resolved = loader.resolve(task_of(choice), choice)
    config = loader.transformers_attr("AutoConfig").from_pretrained(loader.local_folder(resolved, weights=False))
    return config.num_hidden_layers, config.num_attention_heads
