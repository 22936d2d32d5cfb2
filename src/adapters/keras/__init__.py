"""Keras 3 adapter: lrcore schedules as Keras learning-rate schedules and callbacks, on
every Keras backend (TensorFlow, JAX, torch).

- :func:`schedule` (module ``schedules``): a ``keras.optimizers.schedules.LearningRateSchedule``
  evaluated inside the train step; it survives ``model.save`` / ``keras.models.load_model``.
- :func:`callback` (module ``callbacks``): a ``keras.callbacks.Callback`` that sets the
  optimizer's learning rate per step or per epoch, like ``LearningRateScheduler``.
- momentum, beta1 and weight decay schedules: ``callback(schedule, momentum=..., beta1=...,
  weight_decay=...)`` (module ``hyperparameters``: TensorFlow and torch backends).
- :func:`resume` (module ``checkpoint``): load a saved model and resume it with the schedule
  the run was rebuilt with; a changed plan warns and names what changed (SPEC section 8).
- :class:`LearningRateLogger` (module ``callbacks``): ``learning_rate`` in the logs with
  the schedule object, which Keras does not log by itself.
- :func:`plateau_callback` and :func:`plateau_schedule` (module ``plateau``):
  ``lrcore.plateau`` driven by a logged metric, like ``ReduceLROnPlateau``.
- :func:`namespace` (module ``array_namespace``): the core's array namespace over ``keras.ops``.

Importing this package imports keras and registers :class:`KerasSchedule` and
:class:`PlateauSchedule` for Keras serialization (as ``"lrcore>KerasSchedule"`` and
``"lrcore>PlateauSchedule"``, the names saved models hold); ``import lrcore`` does not.

>>> import keras, lrcore
>>> from lrcore.adapters import keras as lrk
>>> s = lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9000), steps=1000)
>>> optimizer = keras.optimizers.SGD(learning_rate=lrk.schedule(s))
"""

from .array_namespace import KerasNamespace, namespace
from .callbacks import LearningRateLogger, ScheduleCallback, callback
from .checkpoint import resume
from .hyperparameters import HyperparameterVariable
from .plateau import PlateauCallback, PlateauSchedule, plateau_callback, plateau_schedule
from .schedules import KerasSchedule, schedule

__all__ = [
    "HyperparameterVariable",
    "KerasNamespace",
    "KerasSchedule",
    "LearningRateLogger",
    "PlateauCallback",
    "PlateauSchedule",
    "ScheduleCallback",
    "callback",
    "namespace",
    "plateau_callback",
    "plateau_schedule",
    "resume",
    "schedule",
]
