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
from penguins.store import ResultStore
from penguins.sweep import run_experiment, summarise

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
        remote = run_experiment("width", preset="smoke", seeds=[5], store=ResultStore(tmp_path / "dask"), scheduler=cluster.scheduler_address)
    assert remote.computed == 2
    pd.testing.assert_frame_equal(local.table(), remote.table())


def test_interrupted_sweep_resumes_without_redoing_anything(tmp_path):
    store = tmp_path / "store"
    command = [sys.executable, "-m", "penguins", "--store", str(store), "sweep", "epochs", "--preset", "smoke", "--seeds", "0-3"]
    # A job started in the background by a non-interactive shell (as CI may start us) inherits an
    # ignored SIGINT; give the child the default disposition a user's terminal would give it.
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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
    assert 2 <= finished < 8
    for entry in entries:  # every surviving entry is whole and valid
        assert json.loads(entry.read_text())["checksum"]
    assert not list(store.rglob(".tmp-*"))
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"8 runs (smoke preset, post preprocessing): {8 - finished} trained now, {finished} from the store" in resumed.stdout
