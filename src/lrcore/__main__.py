"""``python -m lrcore``: the ``lrcore`` command.

``python -m`` puts the working directory first on the import path. A folder named
``lrcore`` there (the folder a ``git clone`` runs in holds one) has no ``__init__.py``,
so Python may have taken it, merged with the installed one, as a namespace package
whose ``__init__`` never ran. Drop that entry and import the real package before the
command runs. (An ``lrcore/__init__.py`` there is a package of its own that Python runs
instead of this file: use the ``lrcore`` command or ``python -P -m lrcore`` there.)
"""

import os
import sys

if not getattr(sys.flags, "safe_path", False) and sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
if getattr(sys.modules.get("lrcore"), "__file__", None) is None:
    for name in [m for m in sys.modules if m == "lrcore" or m.startswith("lrcore.")]:
        if name != __name__:
            del sys.modules[name]

from lrcore.cli import main

raise SystemExit(main())
