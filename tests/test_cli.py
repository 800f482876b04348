import json
import subprocess
import sys

import pytest

from penguins.catalog import NAMED_RUNS

from conftest import ROOT


def penguins(*args: str, store=None, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "penguins", *(["--store", str(store)] if store else []), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def test_list_shows_every_named_run_and_experiment():
    from penguins.experiments import EXPERIMENTS

    listed = penguins("list")
    assert listed.returncode == 0
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("  ")]
    assert names == [*NAMED_RUNS, *EXPERIMENTS]


@pytest.mark.parametrize("command", [[], ["list"], ["run"]])
def test_help_on_each_command(command):
    shown = penguins(*command, "--help")
    assert shown.returncode == 0 and "usage: penguins" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "hidden-9"], "unknown run 'hidden-9'"),
        (["run", "hidden-1", "--epochs", "-3"], "must not be negative"),
        (["run", "hidden-1", "--epochs", "0"], "must be at least 1"),
        (["run", "hidden-1", "--seed", "x"], "a seed is a whole number from 0 to 4294967295, got 'x'"),
        (["run", "hidden-1", "--variant", "tidy"], "invalid choice: 'tidy'"),
        (["run", "logistic", "--epochs", "3"], "--epochs applies to networks"),
        (["fly"], "invalid choice: 'fly'"),
        (["sweep", "depth", "--seeds", "3-1"], "empty seed range '3-1'"),
        (["sweep", "depth", "--seeds", "1,1"], "seeds repeat"),
        (["sweep", "depth", "--jobs", "0"], "must be at least 1"),
        (["sweep", "depht"], "unknown experiment 'depht'"),
        (["reproduce", "--preset", "huge"], "invalid choice: 'huge'"),
        (
            ["run", "logistic", "--seed", "4294967296"],
            "a seed is a whole number from 0 to 4294967295, got '4294967296'",
        ),
        (["sweep", "width", "--seeds", "0-"], "cannot read '0-': write seeds as 3, 0,2,5 or 0-9"),
        (["sweep", "width", "--seeds=-3"], "cannot read '-3'"),
        (["sweep", "width", "--seeds", "1,2-3-4"], "cannot read '2-3-4' in '1,2-3-4'"),
        (["sweep", "width", "--seeds", "0-4294967296"], "a seed is a whole number from 0 to 4294967295"),
        (["sweep", "width", "--seeds", "0-99999"], "holds more than 10000 seeds"),
        (
            ["sweep", "width", "--scheduler", "notanaddress"],
            "expected a Dask scheduler address such as tcp://host:8786, got 'notanaddress'",
        ),
        (["sweep", "width", "--scheduler", "tcp://host:99999"], "expected a Dask scheduler address"),
        (["sweep", "width", "--worker-timeout", "5"], "--worker-timeout applies to --scheduler"),
        (["sweep", "width", "--scheduler", "tcp://host:8786", "--worker-timeout", "0"], "must be more than 0 seconds"),
        (["claims", "--scheduler", "tcp://host:8786"], "unrecognized arguments: --scheduler"),  # refused, not ignored
        (["variants", "--variant", "post"], "unrecognized arguments: --variant"),
    ],
)
def test_bad_argument_is_one_line_and_status_2(args, message):
    failed = penguins(*args)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and message in failed.stderr
    assert "Traceback" not in failed.stderr and failed.stdout == ""


def test_run_trains_once_then_reads_the_store(tmp_path):
    first = penguins("run", "hidden-0", "--epochs", "1", "--seed", "4", store=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "trained in" in first.stdout and "test accuracy" in first.stdout
    second = penguins("run", "hidden-0", "--epochs", "1", "--seed", "4", store=tmp_path)
    assert "from the store" in second.stdout
    assert first.stdout.splitlines()[1:] == second.stdout.splitlines()[1:]


def test_reproduce_runs_every_section_and_search_then_claims_reads_them(tmp_path):
    from penguins.experiments import EXPERIMENTS
    from penguins.extras import PARTS
    from penguins.search import METHODS

    # one seed keeps it short; the session store shares these runs with the other tests
    reproduced = penguins("reproduce", "--preset", "smoke", "--seeds", "0", "--jobs", "2", timeout=900)
    assert reproduced.returncode == 0, reproduced.stderr
    # the summary table, its total, then the line of what the chapters measure beyond the post
    header, *rows, total, extras = reproduced.stdout.splitlines()
    assert {line.split()[0] for line in rows} == set(EXPERIMENTS) | set(METHODS)
    assert {row.index("[") for row in rows} == {header.index("95% interval")}  # the columns line up
    assert extras.startswith("217 more results for the chapters")  # 211 + the candidates and clean runs of 2 seeds + 2
    timings = tmp_path / "timings.jsonl"
    again = penguins("reproduce", "--preset", "smoke", "--seeds", "0", "--timings", str(timings))
    *_, total, extras = again.stdout.splitlines()
    assert total.endswith(": 0 trained now, 23 from the store")
    assert extras.endswith(": 0 trained now, 217 from the store")
    # --timings: one line per section, in the order the command runs them, timed and counted
    sections = [json.loads(line) for line in timings.read_text().splitlines()]
    assert [line["section"] for line in sections] == [*EXPERIMENTS, *(f"{method}-search" for method in METHODS), *PARTS]
    assert {line["command"] for line in sections} == {"reproduce"} and all(line["seconds"] >= 0 for line in sections)
    assert sum(line["results"] for line in sections) == 23 + 217 and {line["trained"] for line in sections} == {0}
    claims = penguins("claims", "--preset", "smoke", "--seeds", "0")
    assert claims.returncode == 0, claims.stderr
    assert claims.stdout.startswith("Claims ledger: preset smoke, variant post, seeds 0")
    assert "input-features" in claims.stdout and "not reproduced" in claims.stdout


def test_variants_prints_post_against_leak_free_per_section(tmp_path):
    from penguins.experiments import EXPERIMENTS

    timings = tmp_path / "timings.jsonl"
    compared = penguins("variants", "--preset", "smoke", "--seeds", "0", "--timings", str(timings), timeout=900)
    assert compared.returncode == 0, compared.stderr
    assert [json.loads(line)["section"] for line in timings.read_text().splitlines()] == list(EXPERIMENTS)
    lines = compared.stdout.splitlines()
    assert lines[0].split()[:4] == ["experiment", "point", "post", "leak-free"]
    assert {line.split()[0] for line in lines[1:]} == set(EXPERIMENTS)


@pytest.mark.parametrize(
    ("text", "seeds"),
    [
        ("3", (3,)), ("0,2,5", (0, 2, 5)), ("0-3", (0, 1, 2, 3)), (" 0 - 2 , 7 ", (0, 1, 2, 7)),
        ("4294967295", (4294967295,)),
    ],
)
def test_seeds_are_read_strictly(text, seeds):
    from penguins.cli import _seeds

    assert _seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("host:8786", "tcp://host:8786"),
        ("tls://[::1]:8786", "tls://[::1]:8786"),
    ],
)
def test_scheduler_addresses(text, address):
    from penguins.cluster import check_address

    assert check_address(text) == address
