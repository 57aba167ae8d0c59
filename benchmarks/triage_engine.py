"""How fast is triage.engine.evaluate? Prints a Markdown table.

Run from the project root:  python benchmarks/triage_engine.py [--n 100000] [--repeat 5]

Random facts with a fixed seed: one set where each fact is missing with probability 0.3 (so
most evaluations branch, and many end in INCOMPLETE_PRECONSULT), one set with nothing missing,
and the worst case (every fact missing, n/10 times). Each set is evaluated ``--repeat`` times;
the median pass is reported.
"""

import argparse
import collections
import datetime
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from triage.engine import DEFAULT_THRESHOLDS, Facts, evaluate  # noqa: E402 - after the path

SITES = ["brainstem", "cerebellopontine_angle", "optic_chiasm_nerve", "language_motor_cortex",
         "ventricular_system", "other"]


def random_facts(rng: random.Random, missing: float) -> Facts:
    def maybe(value):
        return None if rng.random() < missing else value

    return Facts(
        treatment_wish=maybe(rng.random() < 0.9),
        suspected_radionecrosis=maybe(rng.random() < 0.1),
        symptomatic=maybe(rng.random() < 0.5),
        kps=maybe(rng.randrange(0, 101, 10)),
        on_dexamethasone=maybe(rng.random() < 0.4),
        dexamethasone_mg_per_day=maybe(rng.choice([0.5, 1, 2, 4, 8, 16])),
        expected_prognosis_months=maybe(round(rng.uniform(0, 36), 1)),
        prognosis_over_3_months=maybe(rng.random() < 0.6),
        critical_location=maybe(rng.random() < 0.3),
        critical_location_site=maybe(rng.choice(SITES)),
        max_lesion_diameter_mm=maybe(round(rng.uniform(1, 45), 1)),
        lesion_count=maybe(rng.randint(1, 30)),
        systemic_option_high_cerebral_response=maybe(rng.choice(["yes", "no", "unknown"])),
        rapid_kps_improvement_expected=maybe(rng.random() < 0.3),
        local_treatment_could_improve_qol=maybe(rng.random() < 0.4),
        radiotherapy_considered=maybe(rng.random() < 0.5),
        recurrence=maybe(rng.random() < 0.3),
    )


def time_runs(facts: list[Facts], repeat: int) -> float:
    """Median seconds for one pass over ``facts``."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in facts:
            evaluate(item, DEFAULT_THRESHOLDS)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="facts per set (100000)")
    parser.add_argument("--repeat", type=int, default=5, help="passes per set (5)")
    parser.add_argument("--seed", type=int, default=20250701, help="random seed")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    sets = {
        "~30% of facts missing": [random_facts(rng, 0.3) for _ in range(args.n)],
        "no facts missing": [random_facts(rng, 0.0) for _ in range(args.n)],
        # The most branching there is: every fact missing.
        "all facts missing (worst case)": [Facts()] * max(1, args.n // 10),
    }
    rows = []
    for name, facts in sets.items():
        evaluate(facts[0])  # warm the caches (questions, rule-set version)
        seconds = time_runs(facts, args.repeat)
        outcomes = collections.Counter(evaluate(item).outcome for item in facts)
        incomplete = outcomes["INCOMPLETE_PRECONSULT"] / len(facts)
        rows.append((name, len(facts) / seconds, seconds / len(facts) * 1e6, incomplete))

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"CPU: {cpu_name()}, {datetime.date.today().isoformat()}")
    print(f"n = {args.n} per set, median of {args.repeat} passes, seed {args.seed}\n")
    print("| facts | evaluations/s | µs per evaluation | INCOMPLETE_PRECONSULT |")
    print("|---|---:|---:|---:|")
    for name, rate, micros, incomplete in rows:
        print(f"| {name} | {rate:,.0f} | {micros:.1f} | {incomplete:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
