"""`python -m models.offline build`: build the whole offline pack into the cache folder (./run.sh and CI run it at
set-up, so no request builds or trains a stand-in); one line per entry built, one line when all are ready."""

import os
import sys
import time

# Before transformers loads: the progress lines below say what is happening; its per-save bars and load reports
# (the untrained head's "MISSING" weights, expected) would bury them.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from models.offline import build_all  # noqa: E402
from models.offline.pack import pack_dir  # noqa: E402


def main(argv: list[str]) -> int:
    if argv[1:] != ["build"]:
        print("usage: python -m models.offline build", file=sys.stderr)
        return 2
    started = time.perf_counter()
    folders = build_all(progress=lambda line: print(line, flush=True))
    print(f"offline pack ready ({len(folders)} models) in {time.perf_counter() - started:.1f} s: {pack_dir()}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
