"""Every fault a user can cause or meet ends the command with one line, the right status and no
traceback: a store that cannot be used (not a folder, not writable, full), a scheduler that
cannot be reached or has no worker, a damaged data file, a bug, and Ctrl-C. Each case runs the
real command in a real process (usage errors, status 2, are in ``tests/test_cli.py``).

Some faults need root to be produced for real here (an immutable folder, a read-only or a tiny
file system); those tests are skipped without it. As root, an unwritable folder is tested as the
user ``nobody``, since root may write anywhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from penguins.compile_cache import unwrap
from penguins.store import ResultStore

from conftest import ROOT

IS_ROOT = os.geteuid() == 0
SMOKE_WIDTH = ["sweep", "width", "--preset", "smoke", "--seeds", "0"]


def penguins(
    *args: str,
    store: Path | None = None,
    prefix: tuple[str, ...] = (),
    env: dict | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """Run the command; its output as text with carriage returns kept (progress bars use them)."""
    command = [*prefix, sys.executable, "-m", "penguins", *(["--store", str(store)] if store else []), *args]
    done = subprocess.run(command, capture_output=True, cwd=cwd, timeout=timeout, env={**os.environ, **(env or {})})
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def shown_lines(stderr: str) -> list[str]:
    """What a terminal shows of ``stderr``: of each line, what follows its last carriage return (a
    progress bar it overwrote or cleared), without the blank ones."""
    return [line.split("\r")[-1] for line in stderr.split("\n") if line.split("\r")[-1].strip()]


def assert_one_line(done: subprocess.CompletedProcess, status: int, *fragments: str) -> str:
    lines = shown_lines(done.stderr)
    assert done.returncode == status, done.stderr
    assert len(lines) == 1, lines
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def assert_store_complete(root: Path) -> None:
    """Every entry of the store is whole and valid, and no partial file is left anywhere."""
    for entry in root.glob("*/*.json"):
        stored = json.loads(entry.read_text())
        assert ResultStore(root).load(stored["key"]) is not None
    assert not list(root.rglob(".tmp-*"))
    assert all(unwrap(program.read_bytes()) is not None for program in root.glob("xla-cache/*"))


# --- the store ---------------------------------------------------------------------------------


def test_a_store_that_cannot_be_created_is_one_line(tmp_path):
    assert_one_line(
        penguins(*SMOKE_WIDTH, store=Path("/proc/penguins-store")),
        1,
        "cannot create the results store /proc/penguins-store",
    )


@pytest.mark.parametrize("below", [False, True], ids=["a-file", "below-a-file"])
def test_a_store_that_is_a_file_is_one_line_and_the_file_is_untouched(tmp_path, below):
    file = tmp_path / "file"
    file.write_text("mine")
    line = assert_one_line(
        penguins(*SMOKE_WIDTH, store=file / "store" if below else file), 1, f"{file} is a file; choose another store"
    )
    assert "damaged" not in line and file.read_text() == "mine"


def _as_a_user_who_may_not_write(folder: Path) -> tuple[str, ...]:
    """Make ``folder`` read-only (mode 555); the command prefix that runs as someone it stops."""
    folder.chmod(0o555)
    if not IS_ROOT:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: no user to test an unwritable folder with")
    for parent in (folder, *folder.parents, ROOT, *ROOT.parents):  # nobody must reach the folder and the code
        if parent.is_dir() and parent.stat().st_mode & stat.S_IXOTH == 0:
            pytest.skip(f"{parent} cannot be entered by nobody")
    return ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


@pytest.fixture
def open_folder():
    """A folder in the system's temporary folder that anyone may enter (pytest's are private)."""
    folder = Path(tempfile.mkdtemp(prefix="penguins-faults-"))
    folder.chmod(0o755)
    yield folder
    for path in (folder, *folder.rglob("*")):
        if path.is_dir():
            path.chmod(0o755)  # the test made the store read-only
    shutil.rmtree(folder)


@pytest.mark.parametrize("command", [SMOKE_WIDTH, ["run", "logistic"]], ids=["engine-sweep", "run"])
def test_a_store_without_write_permission_is_one_line(open_folder, command):
    store = open_folder / "store"
    store.mkdir()
    prefix = _as_a_user_who_may_not_write(store)
    done = penguins(*command, store=store, prefix=prefix, env={"HOME": str(open_folder)})
    assert_one_line(done, 1, f"in the results store {store}: Permission denied", "fix its permissions")
    assert list(store.iterdir()) == []


@pytest.mark.skipif(not IS_ROOT or shutil.which("chattr") is None, reason="chattr +i needs root")
def test_an_immutable_store_is_one_line(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    if subprocess.run(["chattr", "+i", str(store)], capture_output=True).returncode:
        pytest.skip("this file system has no immutable attribute")
    try:
        assert_one_line(penguins(*SMOKE_WIDTH, store=store), 1, "Operation not permitted")
    finally:
        subprocess.run(["chattr", "-i", str(store)], check=True)


def _mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir()
    if (
        not IS_ROOT
        or subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True).returncode
    ):
        pytest.skip("mounting a tmpfs needs root (tests/test_store.py injects the same faults)")


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_file_system_is_one_line(tmp_path):
    store = tmp_path / "store"
    _mount_tmpfs(store, "size=1m,ro")
    try:
        assert_one_line(penguins(*SMOKE_WIDTH, store=store), 1, "Read-only file system", "choose a writable store")
    finally:
        _unmount(store)


def test_a_full_disk_is_one_line_and_leaves_the_store_complete(tmp_path):
    """A 24 KB store holds a few entries, never the compiled programs (~100 KB each): the sweep
    stops at the first entry that does not fit, keeps every finished one whole, leaves no partial
    file (the compile cache included), and the same command on a store with room finishes it."""
    store = tmp_path / "store"
    _mount_tmpfs(store, "size=24k")
    try:
        done = penguins("sweep", "width", "--preset", "smoke", store=store)
        assert_one_line(done, 1, "No space left on device", "free some disk space")
        assert_store_complete(store)
        finished = list(store.glob("*/*.json"))
        copy = tmp_path / "roomy"
        shutil.copytree(store, copy)
    finally:
        _unmount(store)
    resumed = penguins("sweep", "width", "--preset", "smoke", store=copy)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(finished)} from the store" in resumed.stdout.splitlines()[-1]
    assert_store_complete(copy)


def test_a_damaged_entry_is_reported_by_run_and_replaced(tmp_path):
    assert penguins("run", "logistic", store=tmp_path).returncode == 0
    (entry,) = tmp_path.glob("*/*.json")
    entry.write_text(entry.read_text()[:100])
    done = penguins("run", "logistic", store=tmp_path)
    assert done.returncode == 0 and "trained in" in done.stdout
    (line,) = shown_lines(done.stderr)
    assert line.startswith(f"penguins: ignoring damaged store entry {entry} (not JSON") and line.endswith(
        "it will be computed again and replaced"
    )
    assert json.loads(entry.read_text())["checksum"]


# --- the scheduler -----------------------------------------------------------------------------


def test_a_scheduler_that_cannot_be_reached_fails_within_its_timeout(tmp_path):
    started = time.monotonic()
    done = penguins(*SMOKE_WIDTH, "--scheduler", "tcp://127.0.0.1:1", store=tmp_path)
    assert_one_line(done, 1, "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 10 s")
    assert time.monotonic() - started < 10 + 60  # the stated timeout, and the command's start


def test_a_cluster_without_workers_is_reported_after_the_worker_timeout(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, dashboard_address=None) as cluster:
        done = penguins(*SMOKE_WIDTH, "--scheduler", cluster.scheduler_address, "--worker-timeout", "2", store=tmp_path)
    assert_one_line(done, 1, "has had no worker for 2 s", "start workers", "every finished run is kept")


def test_losing_every_worker_midway_is_reported_after_the_worker_timeout(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        command = [
            sys.executable,
            "-m",
            "penguins",
            "--store",
            str(tmp_path),
            "sweep",
            "epochs",
            "--preset",
            "smoke",
            "--seeds",
            "0-2",
            "--engine",
            "keras",
            "--scheduler",
            cluster.scheduler_address,
            "--worker-timeout",
            "3",
        ]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob("*/*.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        cluster.scale(0)  # every worker leaves
        stdout, stderr = process.communicate(timeout=120)
    done = subprocess.CompletedProcess(command, process.returncode, stdout.decode(), stderr.decode())
    assert_one_line(done, 1, "has had no worker for 3 s", "every finished run is kept")
    assert_store_complete(tmp_path)
    assert 1 <= len(list(tmp_path.glob("*/*.json"))) < 6


# --- data, bugs, Ctrl-C --------------------------------------------------------------------------


def test_a_modified_data_file_is_one_line(tmp_path):
    package = tmp_path / "code" / "penguins"
    shutil.copytree(ROOT / "penguins", package, ignore=shutil.ignore_patterns("__pycache__"))
    data = package / "data" / "penguins.csv"
    data.write_text(data.read_text().replace("39.1", "inf", 1))
    done = penguins(
        "run", "logistic", store=tmp_path / "store", env={"PYTHONPATH": str(package.parent)}, cwd=package.parent
    )
    assert_one_line(done, 1, f"{data}: the bundled data file has been modified", "restore it")


def test_an_unexpected_error_is_one_line_and_debug_shows_its_traceback(tmp_path):
    (tmp_path / "smoke.json").write_text("{not json")
    arguments = ["check", "--preset", "smoke", "--reference", str(tmp_path)]
    assert_one_line(penguins(*arguments, store=tmp_path), 1, "JSONDecodeError", "run again with --debug")
    for debug in (
        penguins("--debug", *arguments, store=tmp_path),
        penguins(*arguments, store=tmp_path, env={"PENGUINS_DEBUG": "1"}),
    ):
        assert debug.returncode == 1 and "Traceback" in debug.stderr


def _interrupt(command: list[str], ready, wait_s: float = 0.0, presses: int = 1) -> subprocess.CompletedProcess:
    """Start ``command`` in a process group of its own, and press Ctrl-C as a terminal does (to
    every process of the group) once ``ready()``: ``presses`` times, 0.3 s apart."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 240
    while not ready() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    time.sleep(wait_s)
    for press in range(presses):
        time.sleep(0.3 if press else 0)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(command, process.returncode, stdout.decode(), stderr.decode())


def test_ctrl_c_during_run_is_one_line_and_status_130(tmp_path):
    command = [sys.executable, "-m", "penguins", "--store", str(tmp_path), "run", "hidden-2", "--epochs", "2000"]
    command += ["--engine", "keras"]  # Keras trains epoch by epoch: the Ctrl-C lands between two
    done = _interrupt(command, lambda: bool(list(tmp_path.glob("*/*.lock"))), wait_s=2)
    assert_one_line(done, 130, "interrupted: finished runs are kept in the store")
    assert not list(tmp_path.rglob("*.json")) and not list(tmp_path.rglob(".tmp-*"))


def test_ctrl_c_that_reaches_the_workers_is_one_line_and_status_130(tmp_path):
    command = [
        sys.executable,
        "-m",
        "penguins",
        "--store",
        str(tmp_path),
        "sweep",
        "batch-size",
        "--preset",
        "smoke",
        "--seeds",
        "0-24",
        "--jobs",
        "2",
    ]
    done = _interrupt(command, lambda: len(list(tmp_path.glob("*/*.json"))) >= 2)
    assert_one_line(done, 130, "interrupted: finished runs are kept in the store")
    assert_store_complete(tmp_path)
    assert not list(tmp_path.glob(".stop-*")) and not list(tmp_path.glob("*/*.lock"))


def test_ctrl_c_twice_stops_at_once_with_one_line(tmp_path):
    """The second Ctrl-C interrupts the compiled call under way (here in the command's own process,
    one job); one pressed after the command decided to stop changes nothing."""
    command = [
        sys.executable,
        "-m",
        "penguins",
        "--store",
        str(tmp_path),
        "sweep",
        "batch-size",
        "--preset",
        "smoke",
        "--seeds",
        "0-24",
    ]
    done = _interrupt(command, lambda: len(list(tmp_path.glob("*/*.json"))) >= 2, presses=2)
    assert_one_line(done, 130, "interrupted: finished runs are kept in the store")
    assert_store_complete(tmp_path)


LOST_INTERRUPT = """
import sys
from penguins import cli
sys.unraisablehook = cli._exit_on_a_lost_interrupt  # as main() installs it
class LandsInAFinalizer:
    def __del__(self):
        raise KeyboardInterrupt  # where a Ctrl-C in a garbage-collector callback ends up: unraisable
LandsInAFinalizer()
print("ran on")
"""


def test_a_ctrl_c_python_cannot_raise_still_ends_the_command():
    done = subprocess.run([sys.executable, "-c", LOST_INTERRUPT], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 130 and "ran on" not in done.stdout
    assert_one_line(done, 130, "interrupted: finished runs are kept")
