"""The Hugging Face ``Trainer`` with ``optimizers=(optimizer, lrcore_scheduler)``.

The applied learning rate is read from the torch optimizer (a step pre-hook sees the param
group's ``lr`` as each update starts) and from the Trainer's own log: it equals the float64
reference at every update, with ``gradient_accumulation_steps=2`` and across
``resume_from_checkpoint`` (which loads the scheduler state with ``weights_only=True``).
"""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.integrations import PLAN

pytestmark = pytest.mark.integrations

torch = require("torch")
transformers = require("transformers")
lrt = require("lrcore.adapters.torch")

UPDATES = 240
ACCUMULATE = 2


class Regression(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def forward(self, x, labels):
        return {"loss": (self.layer(x).squeeze(-1) - labels).square().mean()}


def dataset():
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    return [{"x": row, "labels": row.sum()} for row in x]


def train(tmp_path, resume=None):
    """A Trainer run; returns the lr of every update it applied and the Trainer."""
    model = Regression()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.0)
    applied = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: applied.append(opt.param_groups[0]["lr"]))
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=UPDATES,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=ACCUMULATE,
        logging_steps=1,
        save_strategy="steps",
        save_steps=UPDATES // 2,
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=dataset(),
        optimizers=(optimizer, lrt.scheduler(optimizer, PLAN)),
    )
    trainer.train(resume_from_checkpoint=resume)
    return applied, trainer


def test_trainer_applies_the_reference_with_accumulation(tmp_path):
    applied, trainer = train(tmp_path)
    assert applied == [PLAN(t) for t in range(UPDATES)]
    # The Trainer's log at step k (k updates done) holds the rate update k - 1 applied.
    history = trainer.state.log_history
    logged = {entry["step"]: entry["learning_rate"] for entry in history if "learning_rate" in entry}
    assert logged == {step: PLAN(step - 1) for step in range(1, UPDATES + 1)}


def test_resume_from_checkpoint(tmp_path):
    train(tmp_path)
    checkpoint = tmp_path / f"checkpoint-{UPDATES // 2}"
    state = torch.load(checkpoint / "scheduler.pt", weights_only=True)
    assert state["last_epoch"] == UPDATES // 2
    resumed, _ = train(tmp_path, resume=str(checkpoint))
    assert resumed == [PLAN(t) for t in range(UPDATES // 2, UPDATES)]
