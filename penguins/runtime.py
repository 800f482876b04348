"""Process-wide settings: TensorFlow and XLA made deterministic and quiet, set at one moment.

Same seed, same numbers: Keras' global seed covers Python, NumPy and TensorFlow generators,
op determinism removes non-deterministic kernels, and one thread per op pool removes the
ordering differences of parallel reductions (tiny models lose nothing by it, and parallel runs
go to separate processes anyway). XLA runs on one thread too, with its older loop emitters,
which compile the engine's program about 2-3x faster than the MLIR fusion emitters and run it
as fast.

TensorFlow reads its thread counts and XLA its flags once, when each starts, so they must be in
the environment before either is imported. The moment is :func:`configure`, which
``penguins/__init__.py`` calls when the package is first imported: before any module of the
package can import TensorFlow or JAX. A value already in the environment wins (a user's
``XLA_FLAGS`` keep their flags; ours are added only where they name none).
"""

from __future__ import annotations

import os
import threading

TENSORFLOW_ENVIRONMENT = {
    # Level 3: TensorFlow 2.21 logs harmless C++ errors (unknown NodeDef attributes) on every fit.
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_DETERMINISTIC_OPS": "1",
    # oneDNN picks kernels by CPU model; off, the numbers depend less on which machine ran them.
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "JAX_PLATFORMS": "cpu",
}
XLA_FLAGS = (
    "--xla_cpu_multi_thread_eigen=false",
    "intra_op_parallelism_threads=1",
    "--xla_cpu_use_fusion_emitters=false",
)


def configure() -> None:
    """Put the package's TensorFlow, Keras and XLA settings into this process's environment.

    Idempotent; without effect on a library already started, which is why the package calls it
    on first import.
    """
    for name, value in TENSORFLOW_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    current = os.environ.get("XLA_FLAGS", "")
    missing = [flag for flag in XLA_FLAGS if flag.split("=")[0] not in current]
    os.environ["XLA_FLAGS"] = " ".join([current, *missing]).strip()


# Keras' global seed, TensorFlow's global seed and op-seed counter and Python's and NumPy's
# generators are per process: two threads that seed and then draw (a Dask worker running tasks
# in threads) would draw from each other's streams. Hold this lock from seeding to the last draw.
GLOBAL_SEED_LOCK = threading.RLock()


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (through Keras) and turn on op determinism."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
