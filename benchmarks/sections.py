"""Wall time of each section of a preset for one seed, from a cold store: the baseline for speed work.

    python benchmarks/sections.py                       # full preset, seed 0 (about an hour with plain Keras)
    python benchmarks/sections.py --preset quick --sections width epochs

Prints one line per section and writes the times to benchmarks/results/sections-<preset>.json.
A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from penguins.experiments import EXPERIMENTS
from penguins.search import METHODS
from penguins.store import ResultStore
from penguins.sweep import run_experiment, run_search_sweep
from penguins.versions import library_versions

SECTIONS = [*EXPERIMENTS, *(f"{method}-search" for method in METHODS)]


def time_section(section: str, preset: str, seed: int, store: ResultStore) -> float:
    started = time.perf_counter()
    if section.endswith("-search"):
        run_search_sweep(section.removesuffix("-search"), preset, [seed], store=store)
    else:
        run_experiment(section, preset, [seed], store=store)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=SECTIONS)
    args = parser.parse_args()
    times = {}
    with tempfile.TemporaryDirectory(prefix="penguins-bench-") as folder:
        store = ResultStore(folder)  # cold: nothing is read from an earlier run
        for section in args.sections:
            times[section] = time_section(section, args.preset, args.seed, store)
            print(f"{section:<18} {times[section]:8.1f} s", flush=True)
    print(f"{'total':<18} {sum(times.values()):8.1f} s")
    output = Path(__file__).parent / "results" / f"sections-{args.preset}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps({"preset": args.preset, "seed": args.seed, "seconds": times, "versions": library_versions()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
