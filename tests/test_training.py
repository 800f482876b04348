import json

import numpy as np
import pytest

from penguins.catalog import NAMED_RUNS
from penguins.spec import LogisticSpec, NetworkSpec
from penguins.training import RunRecord, train

from conftest import run_python

TINY = NetworkSpec(hidden=(8, 8), epochs=2, batch_size=32)


def test_logistic_baseline_record():
    record = train(LogisticSpec(), seed=0)
    assert 0.9 < record.test_accuracy <= 1 and 0.9 < record.train_accuracy <= 1
    matrix = np.array(record.confusion_matrix)
    assert matrix.shape == (3, 3) and matrix.sum() == 69
    assert record.test_accuracy == pytest.approx(np.trace(matrix) / 69)
    assert len(record.test_predictions) == 69 and len(record.test_probabilities) == 69
    assert record.history == {} and record.epochs_run == 0
    assert record.engine == "sklearn"  # scikit-learn's, not a Keras model
    assert record.versions["scikit-learn"] and record.versions["tensorflow"]


def test_network_record_has_history_summary_and_consistent_scores():
    record = train(TINY, seed=1)
    assert record.epochs_run == 2 and set(record.history) == {"accuracy", "loss"}
    assert [row["params"] for row in record.summary] == [6 * 8 + 8, 8 * 8 + 8, 8 * 3 + 3]
    predictions = np.array(record.test_predictions)
    probabilities = np.array(record.test_probabilities)
    np.testing.assert_array_equal(predictions, probabilities.argmax(axis=1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.trace(record.confusion_matrix) == round(record.test_accuracy * 69)
    assert RunRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_early_stopping_and_step_decay_are_recorded():
    stopped = train(
        NetworkSpec(hidden=(8, 8), epochs=20, validate_on_test=True, early_stopping_patience=1, learning_rate=1e-6),
        seed=0,
    )
    assert stopped.epochs_run < 20 and "val_accuracy" in stopped.history
    decayed = train(NetworkSpec(hidden=(8, 8), epochs=4, learning_rate=0.2, schedule="step_decay"), seed=0)
    assert decayed.history["learning_rate"] == pytest.approx([0.2, 0.2, 0.2, 0.1])


def test_named_runs_validate_and_train_through_the_catalog():
    assert {"logistic", "hidden-0", "hidden-1", "hidden-2", "early-stopping"} <= set(NAMED_RUNS)
    record = train(NAMED_RUNS["hidden-0"].spec, seed=2)
    assert [row["params"] for row in record.summary] == [21]


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        train(LogisticSpec(), seed=seed)


TRAIN_IN_A_FRESH_PROCESS = """
import json
from penguins.spec import NetworkSpec
from penguins.training import train
record = train(NetworkSpec(hidden=(16, 16), epochs=3, batch_size=16, dropout=0.2), seed={seed}).to_dict()
record.pop("wall_time_s")
print(json.dumps(record))
"""


def test_same_seed_gives_identical_numbers_in_two_fresh_processes():
    outputs = []
    for _ in range(2):
        finished = run_python(TRAIN_IN_A_FRESH_PROCESS.format(seed=5))
        assert finished.returncode == 0, finished.stderr
        outputs.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    assert outputs[0] == outputs[1]  # exact: every loss, probability and history value
    other = run_python(TRAIN_IN_A_FRESH_PROCESS.format(seed=6))
    assert json.loads(other.stdout.strip().splitlines()[-1])["test_probabilities"] != outputs[0]["test_probabilities"]


def test_trainings_in_threads_of_one_process_keep_their_own_seeds():
    # A Dask worker may run several tasks in threads of one process; TensorFlow's global seed
    # and op-seed counter are per process, so without training's lock the two runs below would
    # draw from each other's streams (different weights or batch order, different numbers).
    from concurrent.futures import ThreadPoolExecutor

    spec = NetworkSpec(hidden=(16, 16), epochs=3, batch_size=8)
    alone = [train(spec, seed=seed) for seed in (4, 5)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda seed: train(spec, seed=seed), (4, 5)))
    for mine, theirs in zip(together, alone, strict=True):
        assert mine.test_probabilities == theirs.test_probabilities
        assert mine.history == theirs.history
