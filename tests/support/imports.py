"""What a source file imports when it runs, read from its syntax tree (nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path


def imported(path: Path) -> set[str]:
    """Absolute imports a file makes at run time, as dotted names (`import a.b`: "a.b"; `from a import b`: "a.b");
    not those under `if TYPE_CHECKING:` (annotations only), nor relative ones (the file's own package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []  # never imported when the program runs
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names
