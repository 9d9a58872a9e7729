"""`python -m models.offline build`: build the whole offline pack into the cache folder."""

import sys
import time

from models.offline import build_all


def main(argv: list[str]) -> int:
    if argv[1:] != ["build"]:
        print("usage: python -m models.offline build", file=sys.stderr)
        return 2
    started = time.perf_counter()
    for name, path in build_all().items():
        print(f"{name:20s} {path}")
    print(f"offline pack ready in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
