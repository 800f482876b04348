"""penguins: the Palmer Penguins neural-network post, reproducible.

Data flows one way: spec -> data -> model -> training -> result record -> store.
"""

from penguins import runtime

# The one moment process-wide settings are made: before any module of the package can import
# TensorFlow or JAX, which read them once, when they start (see penguins.runtime).
runtime.configure()

__version__ = "0.1.0"
