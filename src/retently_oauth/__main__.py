"""`python -m retently_oauth`: the CLI."""

import sys

from .cli import main

sys.exit(main())
