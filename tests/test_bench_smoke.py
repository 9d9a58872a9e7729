"""The benchmark's smoke mode runs end to end on tiny models and reports every metric (no timing asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.system


def test_quick_benchmark_reports_every_metric(offline_pack, tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    rows = {row["metric"]: row for row in results["verdicts"]}
    assert set(rows) == {key for key, *_ in report.TARGETS}
    assert all(isinstance(row["value"], (int, float)) and row["value"] > 0 for row in rows.values()), rows
    # The correctness checks that come with the timings hold even in smoke mode.
    assert results["overhead"]["same_answer_as_bare_pipeline"]
    assert results["many_users"]["answers_differing_from_single_requests"] == 0
    assert results["many_users_sessionless"]["answers_differing_from_single_requests"] == 0
    assert results["machine"]["cpu_model"] and f"({results['machine']['cpu_kind']};" in done.stdout
    assert results["streaming"]["same_text_as_plain_generate"]
    assert results["lru"]["evicts_least_recently_used"]
    assert results["memory"]["shared_loaded_once"] and not results["memory"]["failed"]
    assert "| overhead |" in done.stdout  # the table was printed
