"""Momentum, beta1 and weight decay driven by lrcore schedules in Keras 3 (SPEC section 9).

Keras 3 optimizers keep ``momentum`` (SGD, RMSprop), ``beta_1`` (Adam, AdamW, Adamax,
Nadam, Lion, ...) and ``weight_decay`` as Python floats read when the train step is
traced, so a new float never reaches a compiled step. :func:`attach` replaces each with
a float32 Keras variable that the step reads instead; the callback
(:func:`lrcore.adapters.keras.callback`) assigns it for every update (inside the train
step, module ``in_step``) or epoch, beside the learning rate. Measured on Keras 3.15: on
TensorFlow (the traced step captures the variable) and torch (eager) the assigned value
is the one the next update uses, for all three hyperparameters. The variable is kept out
of the optimizer's tracked variables and the optimizer's config keeps the float it was
created with, so saved optimizers and their checkpoints are unchanged.

JAX is refused (a ConfigError naming the backend, optimizer and hyperparameter): Keras'
JAX train step is a pure function of the *tracked* optimizer variables, so an untracked
variable is frozen into the compiled step, and a tracked one would change the optimizer's
saved state (a checkpoint would no longer load into a fresh optimizer, which Keras then
skips with a warning, iterations included). On JAX use optax (``lrcore.adapters.optax``
drives ``b1``, ``momentum`` and ``weight_decay`` through ``inject_hyperparams``).

One Keras detail needs care: ``SGD`` decides in Python whether momentum is on
(``if self.momentum != 0``) when it builds its buffers and inside the traced step, which
a symbolic value cannot answer. The variable here answers ``!= 0`` with True (momentum is
on, whatever its current value), so the optimizer must have been created with
``momentum > 0`` for Keras to create its buffers; one created with 0 is a ConfigError.

Names (lrcore's, as in :data:`lrcore._schedule.HYPERPARAMETERS`) and the attributes they
drive: ``momentum`` -> ``momentum``, or ``beta_1`` where the optimizer has no momentum
(torch's ``cycle_momentum`` rule for Adam); ``beta1`` -> ``beta_1``; ``weight_decay`` ->
``weight_decay`` (the decoupled decay Keras applies as ``w -= w * weight_decay * lr``).
"""

from __future__ import annotations

from typing import Any

import keras

from lrcore._errors import ConfigError
from lrcore._schedule import HYPERPARAMETERS

__all__ = ["HyperparameterVariable", "attach", "attribute"]


class HyperparameterVariable(keras.Variable):
    """A float32 variable standing in for an optimizer's float hyperparameter. ``!= x``
    is True: Keras' SGD asks ``momentum != 0`` in Python to know that momentum is on."""

    def __ne__(self, other: object) -> bool:
        return True


def attribute(optimizer: Any, name: str) -> str:
    """The optimizer attribute that the lrcore hyperparameter ``name`` drives."""
    if name not in HYPERPARAMETERS:
        raise ConfigError("hyperparameter", f"one of {', '.join(HYPERPARAMETERS)}", name)
    kind = type(optimizer).__name__
    candidates = {"momentum": ("momentum", "beta_1"), "beta1": ("beta_1",), "weight_decay": ("weight_decay",)}
    for attr in candidates[name]:
        if hasattr(optimizer, attr) and not callable(getattr(optimizer, attr)):
            return attr
    raise ConfigError(
        name,
        f"an optimizer with {' or '.join(candidates[name])} (keras.optimizers.{kind} has none) "
        f"on the {keras.backend.backend()} backend",
        kind,
    )


def attach(optimizer: Any, names: list[str]) -> dict[str, Any]:
    """Replace the optimizer's float hyperparameters ``names`` by variables (once; a
    second call returns the same variables). Returns ``{name: variable}``."""
    variables = {}
    for name in names:
        attr = attribute(optimizer, name)
        held = getattr(optimizer, attr)
        if isinstance(held, HyperparameterVariable):
            variables[name] = held
            continue
        if keras.backend.backend() == "jax":
            raise ConfigError(
                name,
                f"the tensorflow or torch backend: Keras on jax compiles keras.optimizers."
                f"{type(optimizer).__name__}.{attr} into its train step as a constant (only tracked "
                "optimizer variables reach it, and tracking one changes the saved optimizer); "
                "use lrcore.adapters.optax for scheduled hyperparameters on JAX",
                "jax",
            )
        if attr == "momentum" and isinstance(optimizer, keras.optimizers.SGD):
            if held == 0 or (optimizer.built and not getattr(optimizer, "momentums", None)):
                raise ConfigError(
                    "momentum",
                    "an SGD created with momentum > 0 (Keras creates its momentum buffers only then; "
                    "the schedule sets the value at every step)",
                    held,
                )
        start = 0.0 if held is None else float(held)
        with keras.name_scope(optimizer.name):
            variables[name] = HyperparameterVariable(start, dtype="float32", trainable=False, name=attr)
        # Past the optimizer's tracker: saved optimizers keep their variables (see above).
        object.__setattr__(optimizer, attr, variables[name])
        _save_as_float(optimizer, attr, held)
    return variables


def _save_as_float(optimizer: Any, attr: str, value: Any) -> None:
    """The optimizer's config keeps the float it was created with for ``attr`` (its
    ``get_config`` would copy the variable into a saved model, which cannot load it)."""
    original = optimizer.get_config

    def get_config() -> Any:
        config = original()
        if attr in config:
            config[attr] = value
        return config

    object.__setattr__(optimizer, "get_config", get_config)
