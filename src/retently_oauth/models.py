"""The generated document classes, re-exported: every class `schema/` describes, and `UNSET`."""

from retently_oauth_models import *  # noqa: F403
from retently_oauth_models import __all__ as _generated_all

__all__ = [name for name in _generated_all if name[0].isupper() and name not in ("STRUCTURERS", "UNSTRUCTURERS")]
