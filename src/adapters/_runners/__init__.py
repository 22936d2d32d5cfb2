"""Compare runners: train a tiny real model with an lrcore schedule and record the learning
rate each update applied. One module per framework, each with a ``run`` and a ``main()``
speaking :mod:`lrcore.compare.protocol` (``python -m lrcore.adapters._runners.<name>``), so
that each backend runs in a process of its own (Keras fixes its backend at import).
"""
