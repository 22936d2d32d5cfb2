"""lrcore.compat.transformers against transformers' own schedulers (a LambdaLR on a torch SGD,
stepped for real for 10,000 updates). Skips with a reason when transformers is not installed;
``test_core.py`` checks the same cases against a transcription of transformers' lambdas."""

from __future__ import annotations

import numpy as np
import pytest

from tests.compat._parity import assert_close
from tests.compat.test_core import TRANSFORMERS_CASES
from tests.compat.test_torch import applied
from tests.conftest import require

pytestmark = pytest.mark.torch
torch = require("torch")
transformers = require("transformers")


@pytest.mark.parametrize("name", list(TRANSFORMERS_CASES))
def test_parity(name: str) -> None:
    kind, warmup, total, kwargs, ours, _ = TRANSFORMERS_CASES[name]
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=0.1)
    sched = transformers.get_scheduler(
        kind, opt, num_warmup_steps=warmup, num_training_steps=total, scheduler_specific_kwargs=kwargs
    )
    n = total if total else 10_000
    native = applied(opt, sched, n)
    assert_close(ours.values(np.arange(n)), native, what=name)
