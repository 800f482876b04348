import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from penguins.catalog import NAMED_RUNS
from penguins.runner import run
from penguins.spec import NetworkSpec
from penguins.store import DEFAULT_FOLDER, ResultStore, default_root

from conftest import ROOT, run_python

PAYLOAD = {"task": "demo", "value": 1}


def test_key_covers_payload_code_and_versions(monkeypatch):
    store = ResultStore("unused")
    key = store.key(PAYLOAD)
    assert key == store.key(dict(reversed(PAYLOAD.items())))  # order of keys does not matter
    assert key != store.key({**PAYLOAD, "value": 2})
    monkeypatch.setattr("penguins.store.code_fingerprint", lambda: "other code")
    assert key != store.key(PAYLOAD)
    monkeypatch.undo()
    monkeypatch.setattr("penguins.store.library_versions", lambda: {"tensorflow": "0.0"})
    assert key != store.key(PAYLOAD)


def test_fingerprint_follows_computing_code_only(tmp_path):
    import shutil

    from penguins.store import code_fingerprint

    package = tmp_path / "penguins"
    shutil.copytree(ROOT / "penguins", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_fingerprint(package)
    (package / "cli.py").write_text("# reworded help\n", encoding="utf-8")
    assert code_fingerprint.__wrapped__(package) == before
    (package / "models.py").write_text((package / "models.py").read_text() + "\n# changed\n", encoding="utf-8")
    assert code_fingerprint.__wrapped__(package) != before
    (package / "engine_new.py").write_text("X = 1\n", encoding="utf-8")
    assert len({before, code_fingerprint.__wrapped__(package)}) == 2


def test_computes_once_then_reads(tmp_path):
    store, calls = ResultStore(tmp_path), []
    compute = lambda: calls.append(1) or {"answer": 42}  # noqa: E731
    assert store.get_or_compute(PAYLOAD, compute) == ({"answer": 42}, False)
    assert store.get_or_compute(PAYLOAD, compute) == ({"answer": 42}, True)
    assert ResultStore(tmp_path).get_or_compute(PAYLOAD, compute) == ({"answer": 42}, True)
    assert calls == [1]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: text.replace('"answer": 42', '"answer": 43'),  # result changed, checksum no longer matches
        lambda text: "\x00\x01 not json",
        lambda text: json.dumps({**json.loads(text), "key": "0" * 64}),  # an entry for another key
    ],
    ids=["truncated", "tampered", "garbage", "wrong-key"],
)
def test_damaged_entry_is_recomputed_never_returned(tmp_path, damage):
    store = ResultStore(tmp_path)
    store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    path = store.path(store.key(PAYLOAD))
    path.write_text(damage(path.read_text()))
    assert store.load(store.key(PAYLOAD)) is None
    assert store.get_or_compute(PAYLOAD, lambda: {"answer": 42}) == ({"answer": 42}, False)
    assert store.get_or_compute(PAYLOAD, lambda: {"answer": 0}) == ({"answer": 42}, True)


SLOW_COMPUTE = """
import json, sys, time
from penguins.store import ResultStore
store = ResultStore(sys.argv[1])
def compute():
    with open(sys.argv[2], "a") as log:
        log.write("computed\\n")
    time.sleep(float(sys.argv[3]))
    return {"answer": 42}
print(json.dumps(store.get_or_compute({"task": "slow"}, compute)))
"""


def start(tmp_path: Path, sleep: float) -> subprocess.Popen:
    script = tmp_path / "slow.py"
    script.write_text(SLOW_COMPUTE)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "store"), str(tmp_path / "calls.log"), str(sleep)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_two_processes_asking_at_once_compute_once(tmp_path):
    first, second = start(tmp_path, 3), start(tmp_path, 3)
    outputs = [json.loads(process.communicate(timeout=60)[0]) for process in (first, second)]
    assert (tmp_path / "calls.log").read_text() == "computed\n"
    assert sorted(outputs, key=lambda output: output[1]) == [[{"answer": 42}, False], [{"answer": 42}, True]]


def test_a_killed_computation_leaves_no_entry(tmp_path):
    process = start(tmp_path, 30)
    deadline = time.monotonic() + 30
    while not (tmp_path / "calls.log").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    store = ResultStore(tmp_path / "store")
    assert store.load(store.key({"task": "slow"})) is None
    assert not list((tmp_path / "store").rglob("*.json"))
    # the lock died with its holder: the next caller computes at once
    assert store.get_or_compute({"task": "slow"}, lambda: {"answer": 7}) == ({"answer": 7}, False)


def test_location_is_configurable_with_a_project_default(tmp_path, monkeypatch):
    monkeypatch.setenv("PENGUINS_STORE", str(tmp_path / "elsewhere"))
    assert ResultStore().root == tmp_path / "elsewhere"
    monkeypatch.delenv("PENGUINS_STORE")
    nested = ROOT / "report"
    nested.mkdir(exist_ok=True)
    monkeypatch.chdir(nested)
    assert default_root() == ROOT / DEFAULT_FOLDER
    assert DEFAULT_FOLDER + "/" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_training_result_is_reused_by_another_process(tmp_path):
    spec = NetworkSpec(hidden=(4,), epochs=1)
    store = ResultStore(tmp_path)
    record, cached = run(spec, seed=3, store=store)
    assert not cached
    reader = run_python(
        "import json; from penguins.runner import run; from penguins.spec import NetworkSpec; from penguins.store import ResultStore\n"
        f"record, cached = run(NetworkSpec(hidden=(4,), epochs=1), seed=3, store=ResultStore({str(tmp_path)!r}), "
        "on_epoch_end=lambda *a: print('TRAINED'))\n"
        "print(json.dumps([record.test_accuracy, record.test_probabilities, cached]))"
    )
    assert reader.returncode == 0, reader.stderr
    assert "TRAINED" not in reader.stdout
    assert json.loads(reader.stdout.splitlines()[-1]) == [record.test_accuracy, record.test_probabilities, True]
    assert run(NAMED_RUNS["logistic"].spec, seed=3, store=store)[0].seed == 3
