"""penguins: the Palmer Penguins neural-network post, reproducible.

Data flows one way: spec -> data -> model -> training -> result record -> store.
"""

import penguins.runtime  # noqa: F401  (TensorFlow's environment must be set before anything imports it)

__version__ = "0.1.0"
