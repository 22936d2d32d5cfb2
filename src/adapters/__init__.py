"""Framework adapters: ``lrcore.adapters.torch``, ``lrcore.adapters.optax`` and
``lrcore.adapters.keras``. Each imports its framework only when it is imported itself."""
