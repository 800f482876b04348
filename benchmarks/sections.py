"""Wall time of each section of a preset for one seed, from a cold store: the baseline for speed work.

    python benchmarks/sections.py                       # full preset, seed 0 (about an hour with plain Keras)
    python benchmarks/sections.py --preset quick --sections width epochs

Prints one line per section and writes the times to its section of benchmarks/RESULTS.md
(benchmarks/results_file.py). A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from penguins.experiments import EXPERIMENTS
from penguins.search import METHODS
from penguins.store import ResultStore
from penguins.sweep import run_experiment, run_search_sweep
from penguins.versions import library_versions

sys.path.insert(0, str(Path(__file__).parent))  # run as a script: its sibling results_file.py
from results_file import write_section  # noqa: E402

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
    write_section(__file__, results_markdown(args.preset, args.seed, times))


def results_markdown(preset: str, seed: int, times: dict[str, float]) -> str:
    """The run's figures for benchmarks/RESULTS.md: the command, then seconds per section."""
    versions = ", ".join(f"{name} {version}" for name, version in library_versions().items())
    rows = [f"| {section} | {seconds:.1f} |" for section, seconds in times.items()]
    return "\n".join([
        f"`python benchmarks/sections.py --preset {preset} --seed {seed} --sections {' '.join(times)}`:"
        " each section's wall time for one seed from a cold store.",
        "",
        "| section | seconds |",
        "| --- | ---: |",
        *rows,
        f"| **total** | **{sum(times.values()):.1f}** |",
        "",
        f"Libraries: {versions}.",
    ])


if __name__ == "__main__":
    main()
