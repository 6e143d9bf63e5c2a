"""`python -m codegen [generate|check|diff]` from a checkout: the same as `retently-oauth-codegen`."""

import sys

from retently_oauth_codegen.cli import main

sys.exit(main())
