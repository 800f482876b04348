import sys

from penguins.cli import main

sys.exit(main())
