"""PyTorch adapter: lrcore schedules as torch LR schedulers.

- :func:`scheduler` (module ``lr_scheduler``): a ``torch.optim.lr_scheduler.LRScheduler``
  whose learning rate of update ``t`` is the core's float64 ``schedule(t)``, bit for bit,
  with momentum, beta1 and weight decay schedules beside it, skipped updates held, and a
  changed plan named on resume.
- :func:`plateau_scheduler` (module ``plateau``): a ``ReduceLROnPlateau`` running
  ``lrcore.plateau``'s state machine, with torch's ``step(metric)``.
- :func:`namespace` (module ``array_namespace``): the core's array namespace over torch
  tensors, to evaluate a schedule on a device.

Importing this package imports torch; ``import lrcore`` does not.
"""

from .array_namespace import TorchNamespace, namespace
from .lr_scheduler import CHUNK, MODES, SKIPPED, Scheduler, scheduler
from .plateau import PlateauScheduler, plateau_scheduler

__all__ = [
    "CHUNK",
    "MODES",
    "SKIPPED",
    "PlateauScheduler",
    "Scheduler",
    "TorchNamespace",
    "namespace",
    "plateau_scheduler",
    "scheduler",
]
