"""The two kinds of failure the UI shows: a user mistake, and a model that cannot serve."""


class InputError(ValueError):
    """A user mistake; the message says what to do (the UI shows it as is)."""


class ModelUnavailable(RuntimeError):
    """A model or remote backend that cannot serve now; the message names it and why."""
