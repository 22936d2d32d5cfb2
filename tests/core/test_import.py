"""``import lrcore`` stays light: no framework (and not even NumPy) in ``sys.modules``."""

from __future__ import annotations

import subprocess
import sys


def test_import_lrcore_imports_no_framework() -> None:
    code = (
        "import sys, lrcore, lrcore.adapters, lrcore.compat\n"
        "s = lrcore.cosine(start=0.1, end=0.0, steps=10)\n"
        "print([m for m in ('torch', 'jax', 'tensorflow', 'keras', 'optax', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_evaluation_imports_numpy_only() -> None:
    code = (
        "import sys, lrcore\n"
        "lrcore.cosine(start=0.1, end=0.0, steps=10)(3)\n"
        "print([m for m in ('torch', 'jax', 'tensorflow', 'keras', 'optax') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
