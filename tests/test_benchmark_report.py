"""The benchmark's verdicts (benchmarks/): the run itself takes minutes and is not part of the suite,
but the arithmetic that says "met" or "missed" in docs/performance.md is tested here."""

import argparse
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        yield importlib.import_module("run_benchmark")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def load_test():
    return importlib.import_module("benchmarks.load_test")


def run_result(cases, session_rps, pages):
    """The part of results.json the verdicts read: req/s per page, the floors around them, memory."""
    wrk = {"floor_session": {"rps": session_rps, "floors": [0, 1]}}
    wrk.update({key: {"rps": rps, "floors": [0, 1]} for key, rps in pages.items()})
    return {"cases": cases, "wrk": wrk, "floors": [{"rps": 2000.0}, {"rps": 2000.0}],
            "rss": {"after warm-up": [90.0, 91.0], "after the load test": [99.0, 101.0]},
            "login": {"peak_mb": 141.0}}


def test_flat_in_n_compares_each_page_with_its_own_runs_floor(bench):
    small = run_result(10_000, 1000.0, {"case_list": 500.0, "queue": 300.0})
    # At 100,000 the machine is slower (floor 800) and the case list keeps its share; the queue's
    # cost grew by a third.
    large = run_result(100_000, 800.0, {"case_list": 400.0, "queue": 180.0})
    lines, ok = bench.flat_markdown(large, small)
    table = "\n".join(lines)
    assert "| case_list | 50.0% | 50.0% | 1.00 | met |" in table
    assert "| queue | 30.0% | 22.5% | 1.33 | **missed** |" in table
    assert ok is False
    lines, ok = bench.flat_markdown(small, run_result(100_000, 1000.0, {"case_list": 450.0, "queue": 290.0}))
    assert ok is True  # 500/450 = 1.11 and 300/290 = 1.03: within 20 %
    # The search is shown, but its result rows grow with the data: it is no part of the verdict.
    small["wrk"]["queue_search"] = {"rps": 400.0, "floors": [0, 1]}
    lines, ok = bench.flat_markdown(small, run_result(100_000, 1000.0, {"case_list": 450.0, "queue": 290.0,
                                                                         "queue_search": 100.0}))
    assert ok is True and "| queue_search | 40.0% | 10.0% | 4.00 | — (not in the target" in "\n".join(lines)


def test_the_targets_table_marks_each_target_against_the_logged_in_floor(bench):
    r = run_result(100_000, 1100.0, {"case_list": 560.0, "queue": 100.0, "agenda_print": 230.0,
                                     "agenda_pdf": 600.0, "submit": 300.0})
    table = bench.targets_markdown(r)
    assert "| 1. logged-in floor ≥ 50% of the bare floor | 55.0% | met |" in table
    assert "Referrer's case list ≥ 50% of the logged-in floor | 50.9% | met |" in table
    assert "queue, first page ≥ 50% of the logged-in floor | 9.1% | **missed** |" in table
    assert "Agenda print view, 30 cases ≥ 20% of the logged-in floor | 20.9% | met |" in table
    assert "Final intake submit (POST) ≥ 40% of the logged-in floor | 27.3% | **missed** |" in table
    assert "| 4. load test | not run (--skip-load) | **not measured** |" in table
    assert "| 5. flat in N | one size only (--compare-with) | **not measured** |" in table
    assert "at most 101 MB between phases; login peak 141 MB | met |" in table


def test_the_load_tests_ratio_is_p99_under_load_over_one_users_median(load_test):
    alone = {"step GET": {"p50": 20.0}, "step POST": {"p50": 30.0}, "submit POST": {"p50": 50.0}}
    loaded = {"step GET": {"p99": 90.0}, "step POST": {"p99": 150.0}, "submit POST": {"p99": 400.0}}
    ratios, ok = load_test.step_ratios(alone, loaded)
    assert ratios == {"step GET": 4.5, "step POST": 5.0, "submit POST": 8.0}
    assert ok is True  # the target names the intake steps; the submit is reported beside them
    loaded["step POST"]["p99"] = 151.0
    assert load_test.step_ratios(alone, loaded)[1] is False
    del alone["step GET"]  # a kind not measured alone cannot be called met
    assert load_test.step_ratios(alone, {"step GET": {"p99": 1.0}, "step POST": {"p99": 1.0}})[1] is False


def test_think_time_is_a_range_in_seconds(load_test):
    assert load_test.think_range("1-3") == (1.0, 3.0)
    assert load_test.think_range("0") == (0.0, 0.0)
    with pytest.raises(argparse.ArgumentTypeError):
        load_test.think_range("3-1")
