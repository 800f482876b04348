"""``python -m penguins``: the same command line as ``penguins`` (:func:`penguins.cli.main`)."""

import sys

from penguins.cli import main

sys.exit(main())
