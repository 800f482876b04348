import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from penguins.experiments import EXPERIMENTS
from penguins.runner import payload
from penguins.store import ResultStore
from penguins.sweep import experiment_scores, run_experiment, summarise

from conftest import ROOT


@pytest.fixture(scope="module")
def shared_store():
    return ResultStore(os.environ["PENGUINS_STORE"])


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_smoke_preset_of_every_section(name, shared_store):
    result = run_experiment(name, preset="smoke", store=shared_store)
    assert result.values == [point.value for point in EXPERIMENTS[name].points("smoke")]
    table = result.table()
    assert len(table) == len(result.values) * len(result.seeds) == len(result.values) * 2
    assert table["test_accuracy"].between(0, 1).all()
    summary = result.summary()
    assert list(summary[EXPERIMENTS[name].parameter]) == result.values and (summary["n_seeds"] == 2).all()


def test_a_sweeps_scores_are_one_entry_read_without_its_runs(tmp_path):
    store = ResultStore(tmp_path / "store")
    result = run_experiment("width", preset="smoke", seeds=[3, 4], store=store)
    spec = EXPERIMENTS["width"].points("smoke")[0].spec
    for run in result.records[0]:  # the first point's runs are gone: its scores come from the sweep's entry
        store.path(store.key(payload(spec, run.seed, "post", run.engine))).unlink()
    scores = experiment_scores("width", preset="smoke", seeds=[3, 4], store=ResultStore(store.root, read_only=True))
    assert scores.values == result.values and scores.seeds == result.seeds
    pd.testing.assert_frame_equal(scores.table(), result.table())
    pd.testing.assert_frame_equal(scores.summary("test_loss"), result.summary("test_loss"))
    other_seeds = experiment_scores("width", preset="smoke", seeds=[4], store=store)  # no entry yet: the sweep runs
    pd.testing.assert_frame_equal(other_seeds.table(), result.restricted([4]).table())


def test_full_presets_are_the_posts_ranges():
    assert [p.value for p in EXPERIMENTS["depth"].points("full")] == list(range(1, 100))
    assert [p.value for p in EXPERIMENTS["width"].points("full")] == list(range(1, 101))
    assert [p.spec.hidden for p in EXPERIMENTS["shape"].points("full")] == [(i, 100 - i) for i in range(1, 100)]
    assert [p.spec.epochs for p in EXPERIMENTS["epochs"].points("full")] == list(range(1, 31))
    sizes = [p.spec.batch_size for p in EXPERIMENTS["batch-size"].points("full")]
    assert sizes[0] == 1 and sizes[-1] == 275 and 80 in sizes


def test_summary_statistics():
    table = pd.DataFrame({"x": [1, 1, 1, 2, 2, 2], "test_accuracy": [0.5, 0.6, 0.7, 0.9, 1.0, 1.0]})
    summary = summarise(table, "x", "test_accuracy")
    first = summary.iloc[0]
    assert first["mean"] == pytest.approx(0.6) and first["std"] == pytest.approx(0.1)
    half = stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3)
    assert (first["ci_low"], first["ci_high"]) == pytest.approx((0.6 - half, 0.6 + half))
    assert summary.iloc[1]["ci_high"] == 1.0  # clipped: an accuracy cannot exceed 1


def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    one = run_experiment("width", preset="smoke", seeds=[3, 4], store=ResultStore(tmp_path / "one"), jobs=1)
    two = run_experiment("width", preset="smoke", seeds=[3, 4], store=ResultStore(tmp_path / "two"), jobs=2)
    assert one.computed == two.computed == 4
    pd.testing.assert_frame_equal(one.table(), two.table())
    assert one.record(2, 4).test_probabilities == two.record(2, 4).test_probabilities


def test_dask_cluster_gives_the_same_numbers_as_a_local_run(tmp_path):
    from distributed import LocalCluster

    local = run_experiment("width", preset="smoke", seeds=[5], store=ResultStore(tmp_path / "local"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_experiment(
            "width",
            preset="smoke",
            seeds=[5],
            store=ResultStore(tmp_path / "dask"),
            scheduler=cluster.scheduler_address,
        )
    assert remote.computed == 2
    pd.testing.assert_frame_equal(local.table(), remote.table())


def test_a_one_thread_cluster_runs_the_work_on_the_cluster(tmp_path):
    """joblib's Dask backend counts a one-thread cluster as one job and runs it all in the calling
    process; the sweep submits every task to the scheduler, so the cluster's worker trains."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        result = run_experiment(
            "width", preset="smoke", seeds=[7], store=ResultStore(tmp_path), scheduler=cluster.scheduler_address
        )
        trained_on_the_worker = client.run(lambda: "penguins.engine" in sys.modules)
    assert result.computed == 2
    assert list(trained_on_the_worker.values()) == [True]


def test_concurrent_engine_sweeps_train_each_key_once(tmp_path):
    """Three processes sweep the same four keys on one empty store: each key is trained once
    (a key another process is training is waited for and read), and all print the same table."""
    command = [
        sys.executable,
        "-m",
        "penguins",
        "--store",
        str(tmp_path),
        "sweep",
        "depth",
        "--preset",
        "smoke",
        "--seeds",
        "0-1",
    ]
    processes = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]
    assert all(process.returncode == 0 for process in processes), [stderr for _, stderr in outputs]
    trained = [int(stdout.splitlines()[-1].split(": ")[1].split()[0]) for stdout, _ in outputs]
    assert sum(trained) == 4, trained
    assert len({stdout.rsplit("\n", 2)[0] for stdout, _ in outputs}) == 1  # the tables
    # the four runs and the sweep's scores (penguins.sweep.experiment_scores)
    assert len(list(tmp_path.glob("*/*.json"))) == 4 + 1 and not list(tmp_path.glob("*/*.lock"))


def test_the_engine_and_keras_compute_the_same_sweep_and_are_stored_apart(tmp_path):
    store = ResultStore(tmp_path)
    on_engine = run_experiment("basic-networks", preset="smoke", seeds=[2], store=store)
    on_keras = run_experiment("basic-networks", preset="smoke", seeds=[2], store=store, engine="keras")
    assert [record.engine for (record,) in on_engine.records] == ["jax", "jax", "jax"]
    assert [record.engine for (record,) in on_keras.records] == ["keras", "keras", "keras"]
    assert (on_engine.computed, on_keras.computed) == (3, 3)
    for (mine,), (theirs,) in zip(on_engine.records, on_keras.records, strict=True):
        assert mine.confusion_matrix == theirs.confusion_matrix
        assert mine.test_loss == pytest.approx(theirs.test_loss, abs=1e-6)
        np.testing.assert_allclose(mine.test_probabilities, theirs.test_probabilities, atol=1e-6)
    again = run_experiment("basic-networks", preset="smoke", seeds=[2], store=store)
    assert again.computed == 0 and again.table().equals(on_engine.table())


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3"])
def test_a_seed_the_libraries_do_not_take_is_refused_before_anything_runs(tmp_path, seed):
    from penguins.runner import run
    from penguins.spec import LogisticSpec

    with pytest.raises(ValueError, match="a seed must be a whole number from 0 to 4294967295"):
        run_experiment("width", preset="smoke", seeds=[0, seed], store=ResultStore(tmp_path))
    with pytest.raises(ValueError, match="a seed must be a whole number from 0 to 4294967295"):
        run(LogisticSpec(), seed=seed, store=ResultStore(tmp_path))
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # no lock file, no entry


def test_unknown_engine_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown engine 'torch'"):
        run_experiment("width", preset="smoke", store=ResultStore(tmp_path), engine="torch")


def _interrupt_and_resume(store, command: list[str], total: int) -> int:
    """Start ``command``, Ctrl-C it once the first results are stored, check that it stopped
    cleanly with whole entries, rerun it, and return how many runs the first attempt finished."""
    # A job started in the background by a non-interactive shell (as CI may start us) inherits an
    # ignored SIGINT; give the child the default disposition a user's terminal would give it.
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while len(list(store.rglob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "run the same command again to continue" in stderr and "Traceback" not in stderr
    entries = list(store.rglob("*.json"))
    finished = len(entries)
    assert 2 <= finished < total
    for entry in entries:  # every surviving entry is whole and valid
        assert json.loads(entry.read_text())["checksum"]
    assert not list(store.rglob(".tmp-*")) and not list(store.glob(".stop-*"))
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert (
        f"{total} runs (smoke preset, post preprocessing): {total - finished} trained now, {finished} from the store"
        in resumed.stdout
    )
    return finished


def test_interrupted_keras_sweep_resumes_without_redoing_anything(tmp_path):
    store = tmp_path / "store"
    command = [
        sys.executable,
        "-m",
        "penguins",
        "--store",
        str(store),
        "sweep",
        "epochs",
        "--preset",
        "smoke",
        "--seeds",
        "0-3",
        "--engine",
        "keras",
    ]
    _interrupt_and_resume(store, command, total=8)


def test_interrupted_engine_sweep_keeps_finished_calls_and_resumes(tmp_path):
    # 2 batch sizes x 25 seeds: six compiled calls of up to 10 runs; a Ctrl-C stops between calls
    store = tmp_path / "store"
    command = [
        sys.executable,
        "-m",
        "penguins",
        "--store",
        str(store),
        "sweep",
        "batch-size",
        "--preset",
        "smoke",
        "--seeds",
        "0-24",
    ]
    _interrupt_and_resume(store, command, total=50)


def test_engine_tasks_lift_lokys_worker_memory_limit_and_keras_tasks_restore_it():
    """A worker that ran an engine task keeps its compiled programs (no restart for growing), but a
    Keras task in the same worker gets loky's limit back, since TensorFlow's growth is a leak."""
    from joblib.externals.loky import process_executor

    from penguins.sweep import _LOKY_MEMORY_LEAK_SIZE, _worker_memory_limit

    # loky's own limit, as the sweep read it on import: a test before this one may have run an
    # engine task in this process (one job), which leaves the limit lifted here
    loky_limit, before = _LOKY_MEMORY_LEAK_SIZE, process_executor._MAX_MEMORY_LEAK_SIZE
    try:
        _worker_memory_limit("jax")
        assert process_executor._MAX_MEMORY_LEAK_SIZE > 1000 * loky_limit
        _worker_memory_limit("keras")
        assert process_executor._MAX_MEMORY_LEAK_SIZE == loky_limit
    finally:
        process_executor._MAX_MEMORY_LEAK_SIZE = before
