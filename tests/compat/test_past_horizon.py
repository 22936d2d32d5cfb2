"""Ported schedules past their horizon (SPEC section 8): transformers' cosine lambdas keep
following the cosine back up after ``num_training_steps`` and torch's CosineAnnealingLR after
``T_max``; the ports do the same, checked against the live natives over twice the horizon."""

from __future__ import annotations

import numpy as np
import pytest

import lrcore.compat.transformers as H
from tests.compat._parity import assert_close
from tests.compat.test_torch import applied
from tests.conftest import require

pytestmark = pytest.mark.torch
torch = require("torch")
transformers = require("transformers")

WARMUP, TOTAL = 100, 1100

CASES = {
    "cosine": ("cosine", {}),
    "cosine_two_and_a_half_cycles": ("cosine", {"num_cycles": 2.5}),
    "cosine_with_restarts": ("cosine_with_restarts", {"num_cycles": 2}),
    "cosine_with_min_lr": ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_transformers_cosines_equal_the_native_over_twice_the_horizon(name: str) -> None:
    kind, kwargs = CASES[name]
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=0.1)
    native_sched = transformers.get_scheduler(
        kind, opt, num_warmup_steps=WARMUP, num_training_steps=TOTAL, scheduler_specific_kwargs=kwargs
    )
    n = 2 * TOTAL + 1
    native = applied(opt, native_sched, n)
    ours = H.get_scheduler(kind, 0.1, WARMUP, TOTAL, scheduler_specific_kwargs=kwargs)
    assert_close(ours.values(np.arange(n)), native, what=name)
    if kind != "cosine_with_restarts":  # the others climb back; hard restarts stay at 0
        assert native[-1] > native[TOTAL]
