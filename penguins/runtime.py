"""Make TensorFlow deterministic and quiet before anything imports it.

Same seed, same numbers: Keras' global seed covers Python, NumPy and TensorFlow generators,
op determinism removes non-deterministic kernels, and one thread per op pool removes the
ordering differences of parallel reductions (tiny models lose nothing by it, and parallel runs
go to separate processes anyway). The thread counts must be set before TensorFlow starts its
runtime, so they go into the environment here, on first import of this module.
"""

from __future__ import annotations

import os
import threading

# Level 3: TensorFlow 2.21 logs harmless C++ errors (unknown NodeDef attributes) on every fit.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
# oneDNN picks kernels by CPU model; off, the numbers depend less on which machine ran them.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


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
