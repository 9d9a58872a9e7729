"""Runs code snippets, each in a fresh namespace, and prints what each printed (JSON list on stdout).

One subprocess for all snippets, so transformers is imported once; each snippet still runs on its
own, exactly as a user would paste it.
"""

import contextlib
import io
import json
import sys

outputs = []
for snippet in json.load(sys.stdin):
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        exec(compile(snippet, "<snippet>", "exec"), {"__name__": "__main__"})
    outputs.append(captured.getvalue())
print(json.dumps(outputs))
