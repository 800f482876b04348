import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from penguins.catalog import NAMED_RUNS
from penguins.runner import run
from penguins.spec import NetworkSpec
from penguins.store import DEFAULT_FOLDER, ResultStore, StoreError, default_root

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
        lambda text: text.replace('"answer":42', '"answer":43'),  # result changed, checksum no longer matches
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
    record, cached = run(spec, seed=3, store=store, engine="keras")
    assert not cached
    reader = run_python(
        "import json; from penguins.runner import run; from penguins.spec import NetworkSpec\n"
        "from penguins.store import ResultStore\n"
        f"record, cached = run(NetworkSpec(hidden=(4,), epochs=1), seed=3, store=ResultStore({str(tmp_path)!r}), "
        "on_epoch_end=lambda *a: print('TRAINED'), engine='keras')\n"
        "print(json.dumps([record.test_accuracy, record.test_probabilities, cached]))"
    )
    assert reader.returncode == 0, reader.stderr
    assert "TRAINED" not in reader.stdout
    assert json.loads(reader.stdout.splitlines()[-1]) == [record.test_accuracy, record.test_probabilities, True]
    assert run(NAMED_RUNS["logistic"].spec, seed=3, store=store)[0].seed == 3



def test_run_trains_on_the_sweeps_engine_by_default_and_keeps_engines_apart(tmp_path):
    spec, store = NetworkSpec(hidden=(4,), epochs=2), ResultStore(tmp_path)
    on_engine, cached = run(spec, seed=3, store=store)
    assert (on_engine.engine, cached) == ("jax", False)
    assert run(spec, seed=3, store=store) == (on_engine, True)
    on_keras, cached = run(spec, seed=3, store=store, engine="keras")
    assert (on_keras.engine, cached) == ("keras", False)  # its own entry, not the engine's
    assert on_keras.confusion_matrix == on_engine.confusion_matrix
    with pytest.raises(ValueError, match="on_epoch_end needs engine='keras'"):
        run(spec, seed=4, store=store, on_epoch_end=lambda *_: None)

# --- faults: nothing valid is deleted, a failed write leaves nothing behind -----------------------

FD_EXHAUSTION = """
import errno, json, os, resource, sys, threading
from penguins.store import ResultStore, StoreError
store = ResultStore(sys.argv[1])
key = store.key({"task": "demo", "value": 1})
opened = []
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
while True:  # every descriptor this process may have
    try:
        opened.append(os.open(os.devnull, os.O_RDONLY))
    except OSError as error:
        assert error.errno == errno.EMFILE
        break
try:
    store.load(key)
    outcome = "returned"
except StoreError as error:
    outcome = str(error)
threading.Timer(0.3, lambda: [os.close(fd) for fd in opened[-8:]]).start()  # the fault passes
retried = store.load(key)  # the first attempt fails, a retry 0.1 + 0.5 s later reads it
print(json.dumps([outcome, retried]))
"""


def test_running_out_of_file_descriptors_keeps_the_entry_and_a_retry_reads_it(tmp_path):
    store = ResultStore(tmp_path)
    store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    entry = store.path(store.key(PAYLOAD))
    before = entry.read_bytes()
    script = tmp_path / "exhaust.py"
    script.write_text(FD_EXHAUSTION)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    outcome, retried = json.loads(done.stdout)
    assert "Too many open files" in outcome and "it is kept" in outcome and "ulimit -n" in outcome
    assert retried == {"answer": 42}
    assert entry.read_bytes() == before


def _failing(code: int, times: float = float("inf")):
    """A stand-in for reading a file that fails with ``code`` the first ``times`` times."""
    calls = []

    def read(path):
        calls.append(path)
        if len(calls) <= times:
            raise OSError(code, os.strerror(code), str(path))
        return path.read_bytes()

    return read, calls


@pytest.mark.parametrize(
    ("code", "attempts"), [(errno.EIO, 4), (errno.EMFILE, 4), (errno.EACCES, 1)], ids=["EIO", "EMFILE", "EACCES"]
)
def test_a_read_error_keeps_the_entry_and_is_reported(tmp_path, monkeypatch, code, attempts):
    store = ResultStore(tmp_path)
    store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    entry = store.path(store.key(PAYLOAD))
    read, calls = _failing(code)
    monkeypatch.setattr("penguins.store._read_bytes", read)
    monkeypatch.setattr("penguins.store.READ_RETRY_DELAYS_S", (0.01, 0.01, 0.01))
    with pytest.raises(StoreError, match=f"{os.strerror(code)}.*it is kept|it is kept.*{os.strerror(code)}") as raised:
        store.load(store.key(PAYLOAD))
    assert raised.value.errno == code and "\n" not in str(raised.value)
    assert len(calls) == attempts  # transient errors are tried again, a refusal is not
    assert entry.is_file()
    with pytest.raises(StoreError):  # get_or_compute does not compute over an unreadable entry
        store.get_or_compute(PAYLOAD, lambda: {"answer": 0})
    monkeypatch.undo()
    assert store.load(store.key(PAYLOAD)) == {"answer": 42}


def test_a_transient_read_error_that_passes_is_retried(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    read, calls = _failing(errno.EIO, times=2)
    monkeypatch.setattr("penguins.store._read_bytes", read)
    monkeypatch.setattr("penguins.store.READ_RETRY_DELAYS_S", (0.01, 0.01, 0.01))
    assert store.load(store.key(PAYLOAD)) == {"answer": 42} and len(calls) == 3


def test_a_full_disk_during_a_write_leaves_every_finished_entry_and_no_partial_file(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    finished = [{"task": "demo", "value": value} for value in range(3)]
    for payload in finished:
        store.get_or_compute(payload, lambda: {"answer": list(range(1000))})

    def half_then_full(descriptor: int, data: bytes) -> None:
        os.write(descriptor, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("penguins.store._write_all", half_then_full)
    with pytest.raises(StoreError, match="No space left on device; free some disk space") as raised:
        store.get_or_compute({"task": "demo", "value": 3}, lambda: {"answer": list(range(1000))})
    assert raised.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert [store.load(store.key(payload)) for payload in finished] == [{"answer": list(range(1000))}] * 3
    assert store.load(store.key({"task": "demo", "value": 3})) is None
    assert sorted(
        path.name for path in tmp_path.rglob("*") if path.is_file() and not path.name.endswith(".lock")
    ) == sorted(store.path(store.key(payload)).name for payload in finished)
    assert not list(tmp_path.rglob(".tmp-*"))


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o027, 0o640)])
def test_entries_are_readable_by_the_stores_group(tmp_path, umask, mode):
    made = run_python(
        f"import os; os.umask({umask}); from penguins.store import ResultStore\n"
        f"store = ResultStore({str(tmp_path)!r}); store.get_or_compute({{'task': 'mode'}}, lambda: {{'answer': 1}})\n"
        "print(oct(os.stat(store.path(store.key({'task': 'mode'}))).st_mode & 0o777))"
    )
    assert made.returncode == 0, made.stderr
    assert int(made.stdout.split()[-1], 8) == mode  # ENTRY_MODE 0o664 less the umask
    assert mode & stat.S_IRGRP


def test_a_keys_lock_file_goes_once_its_entry_is_stored(tmp_path):
    store = ResultStore(tmp_path)
    store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    assert not list(tmp_path.rglob("*.lock"))
    with pytest.raises(ZeroDivisionError):
        store.get_or_compute({"task": "fails"}, lambda: 1 / 0)
    assert store.load(store.key({"task": "fails"})) is None
    assert [path.name for path in tmp_path.rglob("*.lock")] == [
        store.path(store.key({"task": "fails"})).with_suffix(".lock").name
    ]


def _ended_process_id() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_ended_processes_are_removed_and_nothing_else(tmp_path):
    store = ResultStore(tmp_path)
    store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    entry = store.path(store.key(PAYLOAD))
    host, ended, alive = socket.gethostname(), _ended_process_id(), os.getpid()
    gone = [
        entry.parent / f".tmp-{host}-{ended}-0123abcd.json",  # a write a SIGKILL cut short
        tmp_path / f".stop-{host}-{ended}-0123abcd",  # a sweep killed after a Ctrl-C
        entry.with_suffix(".lock"),  # killed between storing the entry and removing its lock
        tmp_path / "xla-cache" / f".tmp-{host}-{ended}-0123abcd.xla",
    ]
    kept = [
        entry.parent / f".tmp-{host}-{alive}-0123abcd.json",  # a write under way
        entry.parent / f".tmp-otherhost-{ended}-0123abcd.json",  # another host's: cannot tell
        tmp_path / "ab" / ("ab" + "0" * 62 + ".lock"),  # a key being computed (or whose computation failed)
    ]
    for path in gone + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    legacy = tmp_path / ".stop-k2x9q0ab"  # an empty stop folder of an earlier version, two days old
    legacy.mkdir()
    os.utime(legacy, (time.time() - 2 * 86400,) * 2)
    assert store.clean_leftovers() == len(gone) + 1
    assert not any(path.exists() for path in [*gone, legacy])
    assert all(path.exists() for path in kept)
    assert store.load(store.key(PAYLOAD)) == {"answer": 42}


def test_a_store_path_through_a_file_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    for root in (tmp_path / "file", tmp_path / "file" / "below"):
        store = ResultStore(root)
        with pytest.raises(StoreError, match=f"{tmp_path / 'file'} is a file; choose another store"):
            store.check()
        with pytest.raises(StoreError, match="is a file; choose another store"):
            store.get_or_compute(PAYLOAD, lambda: {"answer": 42})
    assert (tmp_path / "file").read_text() == "not a folder"
