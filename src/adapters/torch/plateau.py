"""PyTorch adapter for ``lrcore.plateau``: a ``ReduceLROnPlateau`` that runs the core's
state machine.

:class:`PlateauScheduler` subclasses ``torch.optim.lr_scheduler.ReduceLROnPlateau``, so
code that looks for a plateau scheduler (``isinstance`` checks, Lightning's
``monitor``) accepts it, and it speaks torch's two dialects:

- ``step(metric)`` after each validation: report the metric (torch's plateau call).
  For a constant inner (``lrcore.plateau(0.1, ...)``) this is all there is, and the
  learning rates equal torch's own ``ReduceLROnPlateau`` bit for bit.
- ``step()`` after each ``optimizer.step()``: one more update (torch's ``LRScheduler``
  call). Needed when the inner is a schedule: the learning rate of update ``t``
  (``last_epoch``, counting ``step()`` calls) is ``plateau.lr(t, state)``.
  ``report(metric)`` is ``step(metric)`` spelled out.

>>> import torch, lrcore
>>> from lrcore.adapters.torch import plateau_scheduler
>>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
>>> p = lrcore.plateau(lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=900), steps=100), patience=2)
>>> sched = plateau_scheduler(opt, p)
>>> for epoch in range(3):
...     for batch in range(10):
...         opt.step(); sched.step()          # per update: the inner schedule advances
...     sched.step(1.0)                       # per validation: the plateau state advances

Every param group gets the same learning rate (the optimizer's ``lr=`` is overwritten,
as ``lrcore.adapters.torch.scheduler`` does), floored per group when ``min_lr`` is a list
(one floor per param group, as torch's ``ReduceLROnPlateau`` takes). ``state_dict()`` holds the plateau's config
and state as plain types (``torch.load(weights_only=True)`` reads it) beside torch's
attributes, and ``lrcore_format`` (:data:`lrcore.checkpoint.FORMAT`); ``load_state_dict()``
resumes exactly, also in the middle of a patience window. A checkpoint whose plateau differs
from the one the scheduler was built with (another inner schedule or horizon, another
patience) warns :class:`lrcore.checkpoint.PlanChangedWarning` naming each changed field and
resumes with the checkpoint's, unless ``prefer="checkpoint"`` or ``prefer="current"`` chose
(the saved state machine's position, ``last_epoch`` and reductions, is kept either way).
``best``, ``num_bad_epochs`` and ``cooldown_counter`` mirror the core state, as torch's
attributes of those names.

A plateau whose schedule has durations (``"5%"``, ``"10ep"``) is bound by
``total_steps=`` / ``steps_per_epoch=`` (as ``lrcore.adapters.torch.scheduler`` binds a
schedule); ``state_dict()`` then holds the bound config.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau

from lrcore._errors import ConfigError
from lrcore._hostcache import HostCache
from lrcore._namespace import numpy_namespace
from lrcore._params import Rate
from lrcore._plateau import Plateau, PlateauState, as_plateau, ready_plateau
from lrcore.checkpoint import FORMAT, check_prefer, reconcile

__all__ = ["PlateauScheduler", "plateau_scheduler"]


class PlateauScheduler(ReduceLROnPlateau):
    """torch's ``ReduceLROnPlateau`` driven by an ``lrcore.plateau`` (see the module
    docstring): ``step(metric)`` reports, ``step()`` counts an update."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        plateau: Plateau | Mapping[str, Any],
        min_lr: Sequence[float] | None = None,
        *,
        total_steps: int | None = None,
        steps_per_epoch: int | None = None,
        prefer: str | None = None,
    ) -> None:
        check_prefer(prefer)
        plateau = ready_plateau(plateau, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
        floors = _group_floors(plateau, optimizer, min_lr)
        super().__init__(
            optimizer,
            mode=plateau.mode,  # type: ignore[arg-type]
            factor=plateau.factor,
            patience=plateau.patience,
            threshold=plateau.threshold,
            threshold_mode=plateau.threshold_mode,  # type: ignore[arg-type]
            cooldown=plateau.cooldown,
            min_lr=floors,
            eps=plateau.eps,
        )
        self.plateau = plateau
        self.plateau_state = plateau.initial_state()
        self.prefer = prefer
        self._min_lr_given = None if min_lr is None else list(min_lr)
        self.last_epoch = 0  # updates applied (SPEC 3), not reports as in torch
        self._cache: HostCache[Any] = HostCache(self._inner_values, name="last_epoch")
        self._apply()

    # -- torch's interface -------------------------------------------------------------

    def step(self, metrics: Any = None, epoch: int | None = None) -> None:  # type: ignore[override]
        """``step(metric)``: report a validation metric. ``step()``: one more update."""
        if epoch is not None:
            raise TypeError("PlateauScheduler.step: explicit epochs are not supported")
        if metrics is None:
            self.last_epoch += 1
            self._apply()
        else:
            self.report(metrics)

    def report(self, metric: Any) -> None:
        """Feed one metric (a number or a 0-d tensor) to the plateau state machine."""
        self.plateau_state = self.plateau.update(self.plateau_state, metric)
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        """torch's attributes plus ``plateau`` (config) and ``plateau_state`` (plain types)."""
        state = {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "plateau", "plateau_state", "_cache", "prefer", "_min_lr_given")
        }
        state["plateau"] = self.plateau.to_config()
        state["plateau_state"] = self.plateau.state_to_dict(self.plateau_state)
        state["lrcore_format"] = FORMAT
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (plateau, state, step) and set the
        learning rates accordingly; a changed plateau warns unless ``prefer`` chose (module
        docstring). A state dict without ``lrcore_format`` (older lrcore) loads the same way."""
        state = dict(state_dict)
        saved = {"lrcore_format": state.pop("lrcore_format", FORMAT), "config": state.pop("plateau")}
        plateau = reconcile(saved, self.plateau, prefer=self.prefer, where="plateau")
        assert isinstance(plateau, Plateau)
        plateau_state = plateau.state_from_dict(state.pop("plateau_state"))
        current = self.plateau
        self.__dict__.update(state)
        self.plateau = plateau
        self.plateau_state = plateau_state
        if plateau is current and plateau.to_config() != saved["config"]:
            # The current plan chosen over the checkpoint's: torch's mirrors follow it.
            self.min_lrs = _group_floors(plateau, self.optimizer, self._min_lr_given)
            self.mode, self.factor, self.patience = plateau.mode, plateau.factor, plateau.patience
            self.threshold, self.threshold_mode = plateau.threshold, plateau.threshold_mode
            self.cooldown, self.eps = plateau.cooldown, plateau.eps
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)
        self._forget()
        self._apply()

    # -- evaluation --------------------------------------------------------------------

    def _forget(self) -> None:
        self._cache.clear()

    def _inner_values(self, steps: Any) -> Any:
        return self.plateau.inner.values(steps)

    def _lr(self) -> float:
        if self.plateau.plain:
            return float(self.plateau_state.level)
        inner = self._cache[self.last_epoch]  # a float64 NumPy scalar
        xp = numpy_namespace(64)
        return float(self.plateau.scaled(inner, np.float64(self.plateau_state.level), xp))

    def _group_lr(self, lr: float, floor: float) -> float:
        """A group whose floor is above the plateau's: torch reduces each group on its own,
        so its level is the chain down to that floor (the plateau's floor is the lowest: its
        reductions run at least as long)."""
        if floor == self.plateau.min_lr:
            return lr
        own = _with_floor(self.plateau, floor)
        if own.plain:
            return own.level_after(int(self.plateau_state.reductions))
        inner = self._cache[self.last_epoch]
        return float(own.scaled(inner, np.float64(self.plateau_state.level), numpy_namespace(64)))

    def _apply(self) -> None:
        lr = self._lr()
        lrs = [self._group_lr(lr, float(floor)) for floor in self.min_lrs]
        last: list[float | torch.Tensor] = []
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            current = group["lr"]
            if isinstance(current, torch.Tensor):
                current.fill_(lr)  # in place: a compiled step keeps its graph
                last.append(current.clone())
            else:
                group["lr"] = lr
                last.append(lr)
        self._last_lr = last
        # torch's attribute names, for code that inspects a ReduceLROnPlateau.
        s: PlateauState = self.plateau_state
        self.best = s.best
        self.num_bad_epochs = s.num_bad_epochs
        self.cooldown_counter = s.cooldown_counter


@functools.lru_cache(maxsize=64)
def _with_floor(plateau: Plateau, floor: float) -> Plateau:
    return as_plateau({**plateau.to_config(), "min_lr": floor})


def _group_floors(
    plateau: Plateau, optimizer: torch.optim.Optimizer, min_lr: Sequence[float] | None
) -> list[float]:
    count = len(optimizer.param_groups)
    if min_lr is None:
        return [plateau.min_lr] * count
    if isinstance(min_lr, (str, bytes)) or not isinstance(min_lr, Sequence) or len(min_lr) != count:
        raise ConfigError("min_lr", f"a list of {count} learning rates, one per param group", min_lr)
    floors = [Rate().coerce(m, f"min_lr[{i}]") for i, m in enumerate(min_lr)]
    for i, floor in enumerate(floors):
        if floor < plateau.min_lr:
            raise ConfigError(
                f"min_lr[{i}]", f"a learning rate >= the plateau's min_lr ({plateau.min_lr})", floor
            )
    return floors


def plateau_scheduler(
    optimizer: torch.optim.Optimizer,
    plateau: Plateau | Mapping[str, Any],
    min_lr: Sequence[float] | None = None,
    *,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
    prefer: str | None = None,
) -> PlateauScheduler:
    """A :class:`PlateauScheduler` for ``optimizer`` running ``plateau`` (or its config);
    ``min_lr``: one floor per param group (torch's list form), each at least the plateau's.
    A schedule with durations (``"5%"``, ``"10ep"``) inside the plateau is bound by
    ``total_steps`` / ``steps_per_epoch``; one left unbound is a ``ConfigError`` naming it.
    ``prefer`` (``None``, ``"checkpoint"``, ``"current"``): which plateau a changed
    checkpoint resumes with.

    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched = plateau_scheduler(opt, lrcore.plateau(0.1, patience=0))
    >>> sched.step(1.0); sched.step(2.0)
    >>> sched.get_last_lr()
    [0.010000000000000002]
    """
    return PlateauScheduler(
        optimizer, plateau, min_lr, total_steps=total_steps, steps_per_epoch=steps_per_epoch, prefer=prefer
    )
