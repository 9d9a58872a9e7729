"""Every public endpoint, found from the running app, and a catalogue of bad inputs per parameter type.

A new tab's endpoints are covered as soon as it is in TABS: its parameters are read from the app's own
API description (gradio_client's view_api), and each gets the bad values of its kind. Only endpoints
whose inputs need a specific valid companion (a mask token, a word that is in both sentences) are
listed in VALID; RESTRICTED endpoints (training, AWS) get only the cheap values that must be refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.support.wire import HIDDEN_ERROR

GENERIC_TEXT = "The quick brown fox jumps over the lazy dog."
# Valid companion inputs for endpoints whose parameters cannot be guessed from their type.
VALID: dict[str, dict[str, Any]] = {
    "/fill_mask": {"text": "Paris is the [MASK] of France."},
    "/zero_shot": {"labels": "sport, cooking"},
    "/compare_word": {"sentence_a": "I sat on the river bank.", "sentence_b": "I put money in the bank.",
                      "word": "bank"},
    "/qa": {"question": "Where does Anna live?", "context": "Anna lives in Berlin and works in Paris."},
    "/tokenize_batch": {"sentences": "I read a book.\nThe cat sat on the mat."},
    "/bedrock_chat": {"model_id": "amazon.nova-lite-v1:0", "history": []},
    "/bedrock_images": {"model_id": "amazon.titan-image-generator-v2:0"},
    "/train_classifier": {"examples": ""},
    "/train_lm": {"text": GENERIC_TEXT},
}
# Any endpoint with these parameters gets these values in its valid calls: short runs keep the catalogue fast.
CHEAP = {"max_new_tokens": 8, "min_new_tokens": 2}
# Expensive or external endpoints: only cheap values that must be refused before any work starts.
RESTRICTED = re.compile(r"^/(train_|lstm_train|bedrock_)")
# RESTRICTED endpoints that, with no AWS configuration (the tests' no_aws), stop at "not configured": a bad
# value must be refused for its own reason before that, else it would reach the outside service.
UNCONFIGURED = re.compile(r"^/bedrock_")
# Endpoints whose valid call needs earlier work in the session (a trained LSTM): their valid call may end in
# a clear error saying what to do first; their bad values are still checked.
STATEFUL = {"/lstm_translate", "/lstm_compare"}
# Endpoints that take no input and would only ask an outside service (nothing to catalogue).
SKIPPED = {"/bedrock_models"}


@dataclass(frozen=True)
class Case:
    """One bad value: `refuse` = it must be refused; `cheap` = safe to send to a RESTRICTED endpoint."""

    name: str
    value: Any
    refuse: bool = False
    cheap: bool = False


def _text_cases() -> list[Case]:
    return [
        Case("empty", ""),
        Case("whitespace", " \t\n  \r\n "),
        Case("1 MB", "word " * (1 << 18), refuse=True, cheap=True),  # 1,310,720 characters
        Case("10 MB", "x" * (10 << 20), refuse=True, cheap=True),
        Case("NUL bytes", "Hello\x00world\x00", refuse=True, cheap=True),
        Case("lone surrogates", "broken \ud800 text \udfff", refuse=True, cheap=True),
        Case("emoji and RTL", "I love it 😀👩‍👩‍👧‍👦🎉 \u202eمرحبا بالعالم\u202c שלום 🇩🇪 e\u0301"),
        Case("100,000 newlines", "\n" * 100_000 + "end"),
        Case("null", None),
        Case("list", ["a", "list"]),
    ]


NUMBER_CASES = [
    Case("NaN", float("nan"), refuse=True, cheap=True),
    Case("huge", 1e308, refuse=True, cheap=True),
    Case("negative", -1),
    Case("wrong type", "abc", refuse=True, cheap=True),
]
BOOL_CASES = [Case("wrong type", "yes"), Case("null", None)]
CHOICE_CASES = [
    Case("path traversal", "../../etc", refuse=True, cheap=True),
    Case("not in the registry", "someone/not-a-model", refuse=True, cheap=True),
]
LABEL_CASES = [Case("1,000 labels", ", ".join(f"label {i}" for i in range(1000)), refuse=True, cheap=True)]
OTHER_CASES = [Case("wrong type: text", "not the expected shape"), Case("wrong type: object", [{"x": 1}])]


@dataclass
class Param:
    name: str
    component: str
    schema: dict
    default: Any = None
    has_default: bool = False

    @property
    def choices(self) -> list | None:
        return self.schema.get("enum") or None

    def cases(self) -> list[Case]:
        """The catalogue for this parameter's kind."""
        if self.component in ("Textbox",):
            extra = LABEL_CASES if "label" in self.name else []
            return _text_cases() + extra
        if self.component in ("Slider", "Number"):
            return NUMBER_CASES
        if self.component == "Checkbox":
            return BOOL_CASES
        if self.component in ("Dropdown", "Radio"):
            return CHOICE_CASES
        return OTHER_CASES


@dataclass
class Endpoint:
    api_name: str
    params: list[Param] = field(default_factory=list)

    @property
    def restricted(self) -> bool:
        return bool(RESTRICTED.match(self.api_name))

    @property
    def stateful(self) -> bool:
        return self.api_name in STATEFUL

    @property
    def unconfigured(self) -> bool:
        return bool(UNCONFIGURED.match(self.api_name))

    def valid_args(self) -> list:
        """A valid call: VALID's values, else each parameter's default, else a plain English sentence."""
        table = VALID.get(self.api_name, {})
        args = []
        for param in self.params:
            if param.name in table:
                args.append(table[param.name])
            elif param.name in CHEAP:
                args.append(CHEAP[param.name])
            elif param.has_default:
                args.append(param.default)
            elif param.component == "Textbox":
                args.append(GENERIC_TEXT)
            else:
                args.append(param.choices[0] if param.choices else None)
        return args

    def with_value(self, index: int, value: Any) -> list:
        args = self.valid_args()
        args[index] = value
        return args


def discover(client) -> dict[str, Endpoint]:
    """Every public endpoint of the app, from its own API description."""
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    endpoints = {}
    for api_name, info in named.items():
        params = [Param(p["parameter_name"], p["component"], p.get("type") or {}, p.get("parameter_default"),
                        p["parameter_has_default"]) for p in info["parameters"]]
        endpoints[api_name] = Endpoint(api_name, params)
    return endpoints


GENERIC_FAILURES = (HIDDEN_ERROR, "Something went wrong in this tab")


def unclear(message: str | None) -> str | None:
    """Why an error message is not one a user can act on, or None when it is."""
    if not message or len(message.strip()) < 15:
        return f"empty or terse message {message!r}"
    for generic in GENERIC_FAILURES:
        if generic in message:
            return "the generic failure text"
    if "Traceback" in message or 'File "' in message:
        return "a traceback"
    return None
