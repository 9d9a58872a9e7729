"""The launcher's own failures: a bad command line (exit code 2), and AWS state that stops a command (exit code 1)."""


class UsageError(ValueError):
    """A flag or value the launcher refuses before sending anything; the message says what to pass instead."""


class DeployError(RuntimeError):
    """A resource in a state the command cannot work with (failed, being deleted); the message says what to do."""
