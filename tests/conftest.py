"""Shared test helpers.

``require(module)`` imports a framework for a test module. When the framework is
missing the test skips with a reason, unless the run names it as required in
``LRCORE_TEST_BACKENDS`` (each nox session does): then the import error fails the run,
so a broken install can never pass as an all-skipped session.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

REQUIRED = {name.strip() for name in os.environ.get("LRCORE_TEST_BACKENDS", "").split(",") if name.strip()}


def require(module: str) -> ModuleType:
    top = module.split(".")[0]
    if top in REQUIRED:
        return importlib.import_module(module)
    try:
        return importlib.import_module(module)
    except ImportError as error:
        pytest.skip(
            f"{module} is not installed ({error}); install it or run its nox session", allow_module_level=True
        )
