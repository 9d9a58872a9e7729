"""Small statistics for noisy timings: median, quartiles, percentiles, and the machine's load."""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict:
    """Median and spread (quartiles, min, max) of timings, rounded for the report."""
    return {"median": _r(statistics.median(values)), "q1": _r(percentile(values, 25)),
            "q3": _r(percentile(values, 75)), "min": _r(min(values)), "max": _r(max(values)), "n": len(values)}


def ratio(numerator: float, denominator: float) -> float:
    return _r(numerator / denominator) if denominator else float("inf")


def _r(value: float) -> float:
    return float(f"{value:.4g}")


def load() -> float:
    """The 1-minute load average (2 cores: above 2 means someone else is using them)."""
    return round(os.getloadavg()[0], 2)


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of fn takes (wall clock)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def with_load(measure: Callable[[], dict]) -> dict:
    """Run a measurement and note the machine's load before and after it, and how long it took."""
    before, start = load(), time.perf_counter()
    result = measure()
    return {**result, "load_before": before, "load_after": load(), "seconds": round(time.perf_counter() - start, 1)}
