"""Conformance runners: train a tiny real model with an lrcore schedule and record the
learning rate each update applied. One module per framework, each with

``run(config, steps, *, steps_per_epoch=None) -> {"applied": [...], "witness": [...]}``

and a ``main()`` that reads ``{"config", "steps", "steps_per_epoch"}`` as JSON on stdin and
writes the result as JSON on stdout (``python -m lrcore.adapters._runners.<name>``), so
that each backend runs in a process of its own (Keras fixes its backend at import).
"""
