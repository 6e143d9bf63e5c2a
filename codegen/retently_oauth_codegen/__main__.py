"""`python -m retently_oauth_codegen`: the same as `retently-oauth-codegen`."""

import sys

from .cli import main

sys.exit(main())
