"""Moved to tests/support.py (build_night, copy_built_night; the conftest fixture `built_night` builds it once
per session). Kept only for scripts outside the suite that still import it: import tests.support."""

from tests.support import AS_OF, MODELS, WAGE_DAYS, build_night

__all__ = ["AS_OF", "MODELS", "WAGE_DAYS", "build_night"]
