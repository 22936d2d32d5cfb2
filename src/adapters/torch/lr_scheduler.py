"""PyTorch adapter: an lrcore schedule as a ``torch.optim.lr_scheduler.LRScheduler``.

Step once after every ``optimizer.step()``; the learning rate of update ``t`` (counting
from 0, torch's ``last_epoch``) is the core's float64 value ``schedule(t)``, bit for bit.
The constructor sets the optimizer's learning rate, so update 0 uses ``schedule(0)``.

>>> import torch, lrcore
>>> from lrcore.adapters.torch import scheduler
>>> model = torch.nn.Linear(4, 1)
>>> opt = torch.optim.AdamW(model.parameters(), lr=1.0)
>>> sched = scheduler(opt, lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=900), steps=100))
>>> for batch in range(1000):
...     opt.zero_grad(); model(torch.randn(8, 4)).pow(2).mean().backward()
...     opt.step(); sched.step()

Param groups (``mode`` picks how the schedule meets each group's learning rate):

- one schedule, ``mode="absolute"`` (default): every group gets ``lr = schedule(t)``;
  the optimizer's ``lr=`` is overwritten.
- a list with one schedule per param group, ``mode="absolute"``: group ``i`` gets
  ``schedules[i](t)``.
- ``mode="multiplier"``: the schedule is a factor on each group's initial learning rate,
  ``lr = initial_lr * schedule(t)`` (detectron2's ``LRMultiplier``). This is how to keep
  discriminative learning rates::

      opt = torch.optim.SGD([{"params": backbone.parameters(), "lr": 1e-4},
                             {"params": head.parameters(), "lr": 1e-2}], lr=1e-2)
      shape = lrcore.warmup(lrcore.cosine(start=1.0, end=0.0, steps=9_000), steps=1_000)
      sched = scheduler(opt, shape, mode="multiplier")  # backbone peaks at 1e-4, head at 1e-2

  A list of schedules works in this mode too (one factor per group).

Resuming. ``state_dict()`` holds torch's own state (``last_epoch``, ``base_lrs``, ...) and
the schedules as configs (plain JSON types, so ``torch.load(weights_only=True)`` reads it);
``load_state_dict()`` rebuilds them, as torch's own schedulers restore their parameters.
Without a state dict, torch's convention applies: ``scheduler(opt, s, last_epoch=n - 1)``
after ``n`` updates (the param groups need ``initial_lr``, e.g. from the optimizer's
state dict) continues at ``schedule(n)``.

Tensor learning rates (``lr=torch.tensor(...)``, compiled or capturable optimizers) are
updated in place with ``fill_``, so a ``torch.compile``'d step is not recompiled.

The scheduler keeps no state beyond torch's: the value is a closed form of
``last_epoch``. It memoizes the next :data:`CHUNK` values in a ``lrcore._hostcache.HostCache``
(one vectorised ``schedule.values`` call; equal to ``schedule(t)`` bit for bit), which is
what makes a ``step()`` cheaper than torch's own schedulers; the memo is never saved, and
``load_state_dict`` clears it (so would assigning ``schedules`` or ``base_lrs`` by hand,
followed by ``sched._forget()``).

Speed. After torch's first two calls, ``step()`` does what ``LRScheduler.step()`` does
(``_step_count``, ``last_epoch``, the groups' ``lr``, ``_last_lr``) without its context
manager and list building; those private names are torch's, and
``test_fast_step_matches_torchs_step`` pins them (checked on torch 2.13.0).

Inside torch's composites: ``SequentialLR`` restarts the scheduler at its milestone
(``lrcore.join``'s convention). In ``ChainedScheduler`` the scheduler, being a closed form
like ``LambdaLR``, sets ``schedule(t)`` and discards what earlier members did; members
after it multiply that value once per step.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

import lrcore
from lrcore._errors import ConfigError
from lrcore._hostcache import CHUNK, HostCache
from lrcore._schedule import as_schedule, ready

__all__ = ["CHUNK", "MODES", "Scheduler", "scheduler"]

MODES = ("absolute", "multiplier")


class Scheduler(LRScheduler):
    """``lr = schedule(t)`` (``mode="absolute"``) or ``initial_lr * schedule(t)``
    (``mode="multiplier"``) for each param group at ``t = last_epoch``.

    ``schedule`` is a schedule (or its config mapping) for every group, or a list with
    one per param group. See the module docstring for the conventions.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: lrcore.Schedule | Mapping[str, Any] | Sequence[lrcore.Schedule | Mapping[str, Any]],
        *,
        mode: str = "absolute",
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if mode not in MODES:
            raise ConfigError("mode", "one of " + ", ".join(map(repr, MODES)), mode)
        self.schedules = _per_group(schedule, len(optimizer.param_groups))
        self.mode = mode
        self._cache: HostCache[tuple[float, ...]] = HostCache(self._rows, name="last_epoch")
        super().__init__(optimizer, last_epoch)

    # -- torch's interface -----------------------------------------------------------------

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rates at ``last_epoch`` (closed form: no dependence on history)."""
        if not self._get_lr_called_within_step:
            # torch's own hint, as its schedulers give it
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        return list(self._at(self.last_epoch))

    def _get_closed_form_lr(self) -> list[float]:
        # torch uses this for step(epoch) and SequentialLR's restart at a milestone.
        return list(self._at(self.last_epoch))

    def step(self, epoch: int | None = None) -> None:
        """Advance to the next update (call it after ``optimizer.step()``)."""
        if epoch is not None or self._step_count < 2:
            # torch's path: the initial step, the call-order warnings, the deprecated epoch.
            super().step(epoch)
            return
        self._step_count += 1
        t = self.last_epoch = self.last_epoch + 1
        lrs = self._cache[t]  # the hot path: a dict subscript, no evaluation
        groups = self.optimizer.param_groups
        if len(groups) != len(lrs):
            raise ValueError(
                f"the optimizer has {len(groups)} param groups but the scheduler was built for {len(lrs)}"
            )
        tensors = False
        for group, lr in zip(groups, lrs):  # noqa: B905 (lengths checked above; strict= costs 0.3 us)
            current = group["lr"]
            if isinstance(current, torch.Tensor):
                current.fill_(lr)  # in place: a compiled step keeps its graph
                tensors = True
            else:
                group["lr"] = lr
        # As torch: copies, never aliasing a group's lr tensor.
        self._last_lr = [_copy(g["lr"]) for g in groups] if tensors else list(lrs)

    def state_dict(self) -> dict[str, Any]:
        """torch's state plus ``schedules`` as configs and ``mode`` (no pickled objects)."""
        state = {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "schedules", "_cache")
        }
        state["schedules"] = [s.to_config() for s in self.schedules]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state (and the schedules) saved by :meth:`state_dict`."""
        state = dict(state_dict)
        if "schedules" not in state:
            raise ValueError(
                "state_dict: no 'schedules' entry (not saved by lrcore.adapters.torch.Scheduler)"
            )
        configs = state.pop("schedules")
        if len(configs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"state_dict: {len(configs)} schedules for {len(self.optimizer.param_groups)} param groups"
            )
        self.__dict__.update(state)
        built: dict[str, lrcore.Schedule] = {}  # equal configs share one object (evaluated once)
        for i, config in enumerate(configs):
            key = json.dumps(config, sort_keys=True)
            if key not in built:
                built[key] = as_schedule(config, f"state_dict.schedules[{i}]")
        self.schedules = tuple(built[json.dumps(c, sort_keys=True)] for c in configs)
        self._forget()

    # -- evaluation ------------------------------------------------------------------------

    def _forget(self) -> None:
        self._cache.clear()

    def _at(self, t: int) -> tuple[float, ...]:
        """The learning rates of all groups at step ``t``."""
        return self._cache[t]

    def _rows(self, steps: Any) -> list[tuple[float, ...]]:
        """The learning rates of all groups at ``steps`` (one ``values`` call per
        distinct schedule), as Python floats: what the cache hands out."""
        columns: dict[int, Any] = {}
        rows = []
        for k, schedule in enumerate(self.schedules):
            if id(schedule) not in columns:
                columns[id(schedule)] = schedule.values(steps)
            values = columns[id(schedule)]
            if self.mode == "multiplier":
                values = float(self.base_lrs[k]) * values
            rows.append(values.tolist())
        return list(zip(*rows, strict=True))


def _copy(lr: Any) -> Any:
    return lr.clone() if isinstance(lr, torch.Tensor) else lr


def scheduler(
    optimizer: torch.optim.Optimizer,
    schedule: lrcore.Schedule | Mapping[str, Any] | Sequence[lrcore.Schedule | Mapping[str, Any]],
    *,
    mode: str = "absolute",
    last_epoch: int = -1,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> Scheduler:
    """A torch LR scheduler running ``schedule`` (see :class:`Scheduler`). A schedule with
    durations (``"5%"``, ``"10ep"``) is bound here by ``total_steps`` / ``steps_per_epoch``.

    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched = scheduler(opt, lrcore.step(start=0.1, gamma=0.5, step_size=2))
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     opt.step(); sched.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05]
    """
    if total_steps is not None or steps_per_epoch is not None:
        bind = {"total_steps": total_steps, "steps_per_epoch": steps_per_epoch}
        if isinstance(schedule, (list, tuple)):
            schedule = [ready(s, f"schedule[{i}]", **bind) for i, s in enumerate(schedule)]
        else:
            schedule = ready(schedule, "schedule", **bind)
    return Scheduler(optimizer, schedule, mode=mode, last_epoch=last_epoch)


def _per_group(schedule: Any, groups: int) -> tuple[lrcore.Schedule, ...]:
    if isinstance(schedule, (list, tuple)):
        if len(schedule) != groups:
            raise ConfigError(
                "schedule",
                f"one schedule per param group ({groups} groups)",
                f"a list of {len(schedule)}",
            )
        return tuple(ready(s, f"schedule[{i}]") for i, s in enumerate(schedule))
    if isinstance(schedule, (lrcore.Schedule, lrcore.Plateau, Mapping)):
        # ready() refuses a plateau (or its config) saying to use plateau_scheduler, and an
        # unbound duration naming the argument that binds it.
        return (ready(schedule, "schedule"),) * groups
    raise ConfigError(
        "schedule", "an lrcore schedule, a config mapping, or a list with one per param group", schedule
    )
