"""``python -m lrcore``: the ``lrcore`` command."""

from .cli import main

raise SystemExit(main())
