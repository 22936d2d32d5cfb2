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

Other hyperparameters (SPEC section 9). ``momentum=``, ``beta1=`` and ``weight_decay=``
take a schedule (or config) for every group, or a list with one per group (``None``
leaves a group alone); at every step the scheduler sets them beside ``lr``, from the same
``last_epoch``, as absolute values (``mode`` scales the learning rate only):

- ``momentum`` sets ``group["momentum"]``, or ``betas[0]`` where the group has ``betas``
  and no ``momentum`` (torch's ``OneCycleLR`` rule: SGD's momentum, Adam's beta1);
- ``beta1`` sets ``betas[0]`` and needs ``betas``; ``weight_decay`` sets ``weight_decay``.

A group without the key is a :class:`~lrcore.ConfigError` naming it. A learning-rate
schedule that carries its own (``one_cycle`` / ``cyclic`` with ``cycle_momentum``, see
``Schedule.hyperparameters()``) has them applied the same way; giving ``momentum=`` too
is an error rather than a silent choice.

Skipped updates (``skipped``). An update that did not happen (``torch.amp.GradScaler``
found infinite gradients and did not call ``optimizer.step()``; a micro-batch of gradient
accumulation) is not counted with ``skipped="hold"`` (the default): ``step()`` advances
the schedule only when the optimizer applied an update since the previous ``step()``, so
``t`` counts applied updates and torch's false "``lr_scheduler.step()`` before
``optimizer.step()``" warning is not raised. Exactly, a ``step()`` holds when the optimizer
has applied no update since the previous ``step()`` **and** a parameter holds a gradient
(``.grad`` is not None: a backward pass ran and its gradients were not applied). Any other
``step()`` advances as torch's schedulers do: after an update, and without training
(plotting a curve, a benchmark: no gradients), with torch's warning where it gives one. So
call ``zero_grad()`` at the start of an iteration or after ``sched.step()``: gradients set
to None between a skipped ``scaler.step()`` and ``sched.step()`` make that step advance,
as torch's schedulers do. Updates are counted by an optimizer step hook
(``register_step_post_hook``); an optimizer that skips an update inside its ``step()``
(fused optimizers under GradScaler, which passes them ``found_inf``) is not counted either.
``skipped="advance"`` advances on every ``step()``, as torch's schedulers do. With
accumulation, stepping once per applied update or once per micro-batch both count applied
updates: nobody states the accumulation to the schedule.

Resuming. ``state_dict()`` holds torch's own state (``last_epoch``, ``base_lrs``, ...), the
schedules (learning rate and other hyperparameters) as configs and ``lrcore_format``
(:data:`lrcore.checkpoint.FORMAT`): plain JSON types, so ``torch.load(weights_only=True)``
reads it. ``load_state_dict()`` compares the checkpoint's schedules with the ones the
scheduler was built with (:func:`lrcore.checkpoint.reconcile`): equal plans resume
silently; a changed plan warns :class:`~lrcore.checkpoint.PlanChangedWarning` naming each
changed field (``steps: 1000 -> 2000``) and resumes with the checkpoint's, unless
``prefer="checkpoint"`` or ``prefer="current"`` chose (silently). It then sets the
groups' values at the resumed step, so load the optimizer's state first (model,
optimizer, scheduler). A state dict without ``lrcore_format`` (older lrcore) loads the
same way. Without a state dict, torch's convention applies: ``scheduler(opt, s,
last_epoch=n - 1)`` after ``n`` updates (the param groups need ``initial_lr``, e.g. from
the optimizer's state dict) continues at ``schedule(n)``.

Tensor learning rates (``lr=torch.tensor(...)``, compiled or capturable optimizers) are
updated in place with ``fill_``, so a ``torch.compile``'d step is not recompiled (tensor
momentum, betas and weight decay too).

The scheduler keeps no state beyond torch's: the value is a closed form of
``last_epoch``. It memoizes the next :data:`CHUNK` values in a ``lrcore._hostcache.HostCache``
(one vectorised ``schedule.values`` call; equal to ``schedule(t)`` bit for bit), which is
what makes a ``step()`` cheaper than torch's own schedulers; the memo is never saved, and
``load_state_dict`` clears it (so would assigning ``schedules`` or ``base_lrs`` by hand,
followed by ``sched._forget()``). Other hyperparameters have a memo of their own, so they
cost nothing when none is given.

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
from lrcore._schedule import HYPERPARAMETERS, ready
from lrcore.checkpoint import FORMAT, PlanChangedWarning, check_prefer, reconcile

__all__ = ["CHUNK", "MODES", "SKIPPED", "Scheduler", "scheduler"]

MODES = ("absolute", "multiplier")
SKIPPED = ("hold", "advance")

ScheduleLike = lrcore.Schedule | Mapping[str, Any]
PerGroup = ScheduleLike | Sequence[ScheduleLike | None] | None

# The param-group key each hyperparameter may set, in order of preference ("betas" means betas[0]).
_KEYS = {"momentum": ("momentum", "betas"), "beta1": ("betas",), "weight_decay": ("weight_decay",)}

# What the scheduler holds that is neither torch's state nor the plan: never saved.
_NOT_STATE = frozenset(
    {
        "optimizer",
        "schedules",
        "hyperparameters",
        "skipped",
        "prefer",
        "_cache",
        "_hyper_cache",
        "_targets",
        "_columns",
        "_hold",
        "_updates",
        "_seen",
    }
)


class Scheduler(LRScheduler):
    """``lr = schedule(t)`` (``mode="absolute"``) or ``initial_lr * schedule(t)``
    (``mode="multiplier"``) for each param group at ``t = last_epoch``, and ``momentum``,
    ``beta1``, ``weight_decay`` schedules (given, or carried by the schedule) beside it.

    ``schedule`` is a schedule (or its config mapping) for every group, or a list with
    one per param group. ``skipped`` (``"hold"`` or ``"advance"``) says whether a
    ``step()`` after an update that did not happen advances; ``prefer`` (``None``,
    ``"checkpoint"``, ``"current"``) which plan a changed checkpoint resumes with. See the
    module docstring for the conventions.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: ScheduleLike | Sequence[ScheduleLike],
        *,
        mode: str = "absolute",
        last_epoch: int = -1,
        momentum: PerGroup = None,
        beta1: PerGroup = None,
        weight_decay: PerGroup = None,
        skipped: str = "hold",
        prefer: str | None = None,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if mode not in MODES:
            raise ConfigError("mode", "one of " + ", ".join(map(repr, MODES)), mode)
        if skipped not in SKIPPED:
            raise ConfigError("skipped", "one of " + ", ".join(map(repr, SKIPPED)), skipped)
        check_prefer(prefer)
        groups = len(optimizer.param_groups)
        self.optimizer = optimizer  # torch sets it too; _install reads it first
        self.schedules = _per_group(schedule, groups)
        self.hyperparameters: dict[str, tuple[lrcore.Schedule | None, ...]] = {
            name: _optional_per_group(value, groups, name)
            for name, value in (("momentum", momentum), ("beta1", beta1), ("weight_decay", weight_decay))
            if value is not None
        }
        self.mode = mode
        self.skipped = skipped
        self.prefer = prefer
        self._cache: HostCache[tuple[float, ...]] = HostCache(self._rows, name="last_epoch")
        self._install()
        self._hold = skipped == "hold"
        self._updates = _applied_updates(optimizer)
        self._seen = self._updates[0]
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
        """Advance to the next update (call it after ``optimizer.step()``); with
        ``skipped="hold"``, hold where that update did not happen (module docstring)."""
        if self._hold and epoch is None and self._step_count:
            count = self._updates[0]
            if count != self._seen:
                self._seen = count
            elif _has_gradients(self.optimizer):
                # a skipped update: the schedule counts applied ones (held, still checked)
                _check_groups(self.optimizer, len(self.schedules))
                return
        if epoch is not None or self._step_count < 2:
            # torch's path: the initial step, the call-order warnings, the deprecated epoch.
            super().step(epoch)
            if self._targets:
                self._set_hyperparameters(self.last_epoch)
            return
        self._step_count += 1
        t = self.last_epoch = self.last_epoch + 1
        lrs = self._cache[t]  # the hot path: a dict subscript, no evaluation
        groups = self.optimizer.param_groups
        if len(groups) != len(lrs):
            _check_groups(self.optimizer, len(lrs))
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
        if self._targets:
            self._set_hyperparameters(t)

    def state_dict(self) -> dict[str, Any]:
        """torch's state, ``mode``, the schedules as configs (``schedules``, one per group;
        ``hyperparameters``, the ones given explicitly) and ``lrcore_format``: no pickled
        objects."""
        state = {key: value for key, value in self.__dict__.items() if key not in _NOT_STATE}
        state["lrcore_format"] = FORMAT
        state["schedules"] = [s.to_config() for s in self.schedules]
        state["hyperparameters"] = {
            name: [None if s is None else s.to_config() for s in per]
            for name, per in self.hyperparameters.items()
        }
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict`, resuming with the checkpoint's
        schedules or the current ones (``prefer``; a changed plan warns when not chosen),
        and set the groups' values at the resumed step."""
        state = dict(state_dict)
        if "schedules" not in state:
            raise ValueError(
                "state_dict: no 'schedules' entry (not saved by lrcore.adapters.torch.Scheduler)"
            )
        configs = state.pop("schedules")
        # Absent in state dicts written before the format version existed: their configs
        # are format 1.
        version = state.pop("lrcore_format", 1)
        saved_hyper = state.pop("hyperparameters", {})
        state = {k: v for k, v in state.items() if k not in _NOT_STATE}
        groups = len(self.optimizer.param_groups)
        if len(configs) != groups:
            raise ValueError(f"state_dict: {len(configs)} schedules for {groups} param groups")
        if not isinstance(saved_hyper, Mapping) or any(
            name not in HYPERPARAMETERS or not isinstance(per, list) or len(per) != groups
            for name, per in saved_hyper.items()
        ):
            raise ConfigError(
                "state_dict.hyperparameters",
                f"a mapping from {', '.join(HYPERPARAMETERS)} to one config (or None) per param group",
                saved_hyper,
            )

        # Every (checkpoint config, current schedule) pair: the learning rate of each group,
        # then each hyperparameter of each group (None where a side has none).
        pairs: list[tuple[str, int, Any, lrcore.Schedule | None]] = [
            ("schedules", i, config, current)
            for i, (config, current) in enumerate(zip(configs, self.schedules, strict=True))
        ]
        for name in HYPERPARAMETERS:
            saved = saved_hyper.get(name, [None] * groups)
            now = self.hyperparameters.get(name, (None,) * groups)
            pairs += [(name, i, c, s) for i, (c, s) in enumerate(zip(saved, now, strict=True))]

        resumed: dict[str, list[lrcore.Schedule | None]] = {}
        chosen: dict[tuple[str, int], lrcore.Schedule] = {}  # equal plans share one object
        for name, i, config, current in pairs:
            where = f"state_dict.{'' if name == 'schedules' else 'hyperparameters.'}{name}[{i}]"
            value: lrcore.Schedule | None
            if config is not None and current is not None:
                key = (json.dumps(config, sort_keys=True), id(current))
                if key not in chosen:
                    # (called here, not in a helper: its warning points at the caller's line)
                    plan = reconcile(
                        {"lrcore_format": version, "config": config}, current, prefer=self.prefer, where=where
                    )
                    chosen[key] = ready(plan, f"{where}.config")
                value = chosen[key]
            elif config is None and current is None:
                value = None
            elif self.prefer == "current":
                value = current
            else:  # one side has a schedule the other lacks: a changed plan too
                if self.prefer is None:
                    old = "(none)" if config is None else config.get("type", config)
                    new = "(none)" if current is None else current.type
                    warnings.warn(
                        PlanChangedWarning(
                            f"{where}: the checkpoint's schedule differs from the one given now "
                            f"({name}: {old} -> {new}): resuming with the checkpoint's. Choose "
                            "explicitly with prefer='checkpoint' or prefer='current'."
                        ),
                        stacklevel=2,
                    )
                value = None if config is None else ready(config, where)
            resumed.setdefault(name, []).append(value)

        schedules = tuple(s for s in resumed.pop("schedules") if s is not None)
        hyperparameters = {
            name: tuple(per) for name, per in resumed.items() if any(s is not None for s in per)
        }

        self.__dict__.update(state)
        self.schedules = schedules
        self.hyperparameters = hyperparameters
        self._forget()
        self._install()
        self._seen = self._updates[0]
        # The groups' values at the resumed step: the plan resumed with decides the next update.
        lrs = self._at(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            _set(group, "lr", lr)
        self._last_lr = [_copy(g["lr"]) for g in self.optimizer.param_groups]
        if self._targets:
            self._set_hyperparameters(self.last_epoch)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A copied or unpickled optimizer has lost its step hooks (torch pickles only its
        # defaults, state and param groups): count its updates again.
        self.__dict__.update(state)
        self._updates = _applied_updates(self.optimizer)
        self._seen = self._updates[0]

    # -- evaluation ------------------------------------------------------------------------

    def _forget(self) -> None:
        self._cache.clear()
        self._hyper_cache.clear()

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

    # -- other hyperparameters -------------------------------------------------------------

    def _install(self) -> None:
        """Find where each hyperparameter schedule (given, or carried by a group's schedule)
        goes: ``_targets`` holds ``(group index, key)`` and ``_columns`` the schedules."""
        groups = self.optimizer.param_groups
        targets: list[tuple[int, str]] = []
        columns: list[lrcore.Schedule] = []
        for name in HYPERPARAMETERS:
            given = self.hyperparameters.get(name)
            for i, schedule in enumerate(self.schedules):
                paired = schedule.hyperparameters().get(name)
                explicit = None if given is None else given[i]
                if paired is not None and explicit is not None:
                    raise ConfigError(
                        name if len(groups) == 1 else f"{name}[{i}]",
                        f"no {name} schedule where the learning-rate schedule carries its own "
                        f"({schedule.type} with cycle_momentum; set cycle_momentum=False to give one)",
                        explicit,
                    )
                side = explicit if explicit is not None else paired
                if side is None:
                    continue
                key = next((k for k in _KEYS[name] if k in groups[i]), None)
                if key is None:
                    wanted = " or ".join(repr(k) for k in _KEYS[name])
                    source = (
                        name if explicit is not None else f"schedule ({schedule.type} with cycle_momentum)"
                    )
                    raise ConfigError(
                        name if len(groups) == 1 else f"{name}[{i}]",
                        f"a param group with {wanted} ({type(self.optimizer).__name__}'s "
                        f"param_groups[{i}] has none) for the {source}",
                        side,
                    )
                if (i, key) in targets:
                    raise ConfigError(
                        name, f"one schedule per value (param_groups[{i}] {key} is set twice)", side
                    )
                targets.append((i, key))
                columns.append(side)
        self._targets = tuple(targets)
        self._columns = tuple(columns)
        self._hyper_cache: HostCache[tuple[float, ...]] = HostCache(self._hyper_rows, name="last_epoch")

    def _hyper_rows(self, steps: Any) -> list[tuple[float, ...]]:
        """The other hyperparameters' values at ``steps``, one per target."""
        computed: dict[int, list[float]] = {}
        for schedule in self._columns:
            if id(schedule) not in computed:
                computed[id(schedule)] = schedule.values(steps).tolist()
        return list(zip(*(computed[id(s)] for s in self._columns), strict=True))

    def _set_hyperparameters(self, t: int) -> None:
        groups = self.optimizer.param_groups
        # (one value per target by construction; strict= would cost on every step)
        for (i, key), value in zip(self._targets, self._hyper_cache[t]):  # noqa: B905
            group = groups[i]
            if key != "betas":
                if isinstance(group[key], torch.Tensor):
                    group[key].fill_(value)  # in place: a compiled step keeps its graph
                else:
                    group[key] = value
            elif isinstance(group["betas"][0], torch.Tensor):
                group["betas"][0].fill_(value)
            else:
                group["betas"] = (value, *group["betas"][1:])


def _set(group: dict[str, Any], key: str, value: float) -> None:
    current = group[key]
    if isinstance(current, torch.Tensor):
        current.fill_(value)  # in place: a compiled step keeps its graph
    else:
        group[key] = value


def _check_groups(optimizer: torch.optim.Optimizer, built_for: int) -> None:
    groups = len(optimizer.param_groups)
    if groups != built_for:
        raise ValueError(
            f"the optimizer has {groups} param groups but the scheduler was built for {built_for}"
        )


def _copy(lr: Any) -> Any:
    return lr.clone() if isinstance(lr, torch.Tensor) else lr


def _applied_updates(optimizer: torch.optim.Optimizer) -> list[int]:
    """A counter of the updates ``optimizer`` applied, shared by every lrcore scheduler on
    it: one step post hook per optimizer. An optimizer that receives GradScaler's
    ``found_inf`` (fused ones) and skips inside ``step()`` is not counted when it is set."""
    counter: list[int] | None = optimizer.__dict__.get("_lrcore_applied_updates")
    if counter is None:
        found: list[int] = [0]

        def count(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
            found_inf = getattr(opt, "found_inf", None)
            if found_inf is None or not float(found_inf):
                found[0] += 1

        optimizer.register_step_post_hook(count)
        optimizer.__dict__["_lrcore_applied_updates"] = counter = found
    return counter


def _has_gradients(optimizer: torch.optim.Optimizer) -> bool:
    """Whether a backward pass left gradients on the optimizer's parameters."""
    for group in optimizer.param_groups:  # (loops, not any(): this runs on every step without training)
        for p in group["params"]:
            if p.grad is not None:
                return True
    return False


def scheduler(
    optimizer: torch.optim.Optimizer,
    schedule: ScheduleLike | Sequence[ScheduleLike],
    *,
    mode: str = "absolute",
    last_epoch: int = -1,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
    momentum: PerGroup = None,
    beta1: PerGroup = None,
    weight_decay: PerGroup = None,
    skipped: str = "hold",
    prefer: str | None = None,
) -> Scheduler:
    """A torch LR scheduler running ``schedule`` (see :class:`Scheduler`). A schedule with
    durations (``"5%"``, ``"10ep"``) is bound here by ``total_steps`` / ``steps_per_epoch``,
    and so are the ``momentum``, ``beta1`` and ``weight_decay`` schedules.

    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    >>> sched = scheduler(opt, lrcore.step(start=0.1, gamma=0.5, step_size=2),
    ...                   momentum=lrcore.linear(start=0.9, end=0.7, steps=2))
    >>> seen = []
    >>> for _ in range(4):
    ...     seen.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
    ...     opt.step(); sched.step()
    >>> seen
    [(0.1, 0.9), (0.1, 0.8), (0.05, 0.7), (0.05, 0.7)]
    """
    if total_steps is not None or steps_per_epoch is not None:
        bind = {"total_steps": total_steps, "steps_per_epoch": steps_per_epoch}
        schedule = _bound(schedule, "schedule", bind)
        momentum, beta1, weight_decay = (
            None if value is None else _bound(value, name, bind)
            for name, value in (("momentum", momentum), ("beta1", beta1), ("weight_decay", weight_decay))
        )
    return Scheduler(
        optimizer,
        schedule,
        mode=mode,
        last_epoch=last_epoch,
        momentum=momentum,
        beta1=beta1,
        weight_decay=weight_decay,
        skipped=skipped,
        prefer=prefer,
    )


def _bound(value: Any, path: str, bind: dict[str, int | None]) -> Any:
    if isinstance(value, (list, tuple)):
        return [None if s is None else ready(s, f"{path}[{i}]", **bind) for i, s in enumerate(value)]
    return ready(value, path, **bind)


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


def _optional_per_group(value: Any, groups: int, name: str) -> tuple[lrcore.Schedule | None, ...]:
    """A hyperparameter's schedule per group: one for all, or a list (``None`` leaves a
    group alone)."""
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ConfigError(
                name, f"one schedule (or None) per param group ({groups} groups)", f"a list of {len(value)}"
            )
        return tuple(None if s is None else ready(s, f"{name}[{i}]") for i, s in enumerate(value))
    if isinstance(value, (lrcore.Schedule, lrcore.Plateau, Mapping)):
        return (ready(value, name),) * groups
    raise ConfigError(name, "an lrcore schedule, a config mapping, or a list with one per param group", value)
