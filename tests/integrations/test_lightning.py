"""PyTorch Lightning: an lrcore scheduler returned from ``configure_optimizers``.

The applied learning rate is read from the torch optimizer itself (a step pre-hook sees the
param group's ``lr`` as ``optimizer.step()`` starts) and from ``LearningRateMonitor``'s log;
both equal the float64 reference at every update: with ``interval="step"``, with
``interval="epoch"`` (equal to ``per_epoch`` under ``interval="step"``), with
``accumulate_grad_batches=2`` (the scheduler counts applied updates) and across a resume
from a Lightning checkpoint.
"""

from __future__ import annotations

import csv

import pytest

import lrcore
from tests.conftest import require
from tests.integrations import PLAN

pytestmark = pytest.mark.integrations

torch = require("torch")
lightning = require("lightning")
lrt = require("lrcore.adapters.torch")

BATCHES = 32  # per epoch
ACCUMULATE = 2
PER_EPOCH = BATCHES // ACCUMULATE  # updates per epoch
EPOCHS = 16  # 256 updates


class Probe(lightning.LightningModule):
    """A linear regression whose optimizer records the lr of every update it applies."""

    def __init__(self, schedule: lrcore.Schedule, interval: str = "step") -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.schedule = schedule
        self.interval = interval
        self.applied: list[float] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        return (self.layer(x).squeeze(-1) - y).square().mean()

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=1.0)
        optimizer.register_step_pre_hook(
            lambda opt, args, kwargs: self.applied.append(opt.param_groups[0]["lr"])
        )
        scheduler = lrt.scheduler(optimizer, self.schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": self.interval}}


def data():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(BATCHES * 2, 4, generator=generator)
    dataset = torch.utils.data.TensorDataset(x, x.sum(-1))
    return torch.utils.data.DataLoader(dataset, batch_size=2)


def trainer(root, epochs, **kwargs):
    return lightning.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        accumulate_grad_batches=ACCUMULATE,
        default_root_dir=root,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        **{"logger": False, **kwargs},
    )


def monitored(path, key="lr-SGD"):
    """(step, lr) rows that LearningRateMonitor wrote to a CSVLogger's metrics.csv."""
    with open(path, newline="") as file:
        return [(int(row["step"]), float(row[key])) for row in csv.DictReader(file) if row.get(key)]


def test_step_interval_with_accumulation_and_the_monitor(tmp_path):
    logger = lightning.pytorch.loggers.CSVLogger(tmp_path, name="run")
    monitor = lightning.pytorch.callbacks.LearningRateMonitor(logging_interval="step")
    model = Probe(PLAN)
    trainer(tmp_path, EPOCHS, logger=logger, callbacks=[monitor], log_every_n_steps=1).fit(model, data())
    updates = EPOCHS * PER_EPOCH
    assert model.applied == [PLAN(t) for t in range(updates)]
    rows = monitored(f"{logger.log_dir}/metrics.csv")
    # The monitor logs before every micro-batch, keyed by the updates already applied.
    assert {step for step, _ in rows} == set(range(updates))
    assert all(lr == PLAN(step) for step, lr in rows)


def test_epoch_interval_equals_per_epoch(tmp_path):
    by_epoch = lrcore.cosine(start=0.05, end=0.001, steps=EPOCHS - 4)
    reference = lrcore.per_epoch(by_epoch, steps_per_epoch=PER_EPOCH)
    logger = lightning.pytorch.loggers.CSVLogger(tmp_path, name="run")
    monitor = lightning.pytorch.callbacks.LearningRateMonitor(logging_interval="epoch")
    epochs = Probe(by_epoch, interval="epoch")
    trainer(tmp_path, EPOCHS, logger=logger, callbacks=[monitor], log_every_n_steps=1).fit(epochs, data())
    steps = Probe(reference, interval="step")
    trainer(tmp_path, EPOCHS).fit(steps, data())
    expected = [reference(t) for t in range(EPOCHS * PER_EPOCH)]
    assert epochs.applied == expected
    assert steps.applied == expected
    logged = [lr for _, lr in monitored(f"{logger.log_dir}/metrics.csv")]
    assert logged == [by_epoch(e) for e in range(EPOCHS)]


def test_resume_from_a_lightning_checkpoint(tmp_path):
    first = Probe(PLAN)
    run = trainer(tmp_path, EPOCHS // 2)
    run.fit(first, data())
    run.save_checkpoint(tmp_path / "half.ckpt")
    saved = torch.load(tmp_path / "half.ckpt", weights_only=True)["lr_schedulers"][0]
    assert saved["last_epoch"] == len(first.applied) == EPOCHS // 2 * PER_EPOCH

    second = Probe(PLAN)
    trainer(tmp_path, EPOCHS).fit(second, data(), ckpt_path=tmp_path / "half.ckpt")
    assert first.applied + second.applied == [PLAN(t) for t in range(EPOCHS * PER_EPOCH)]
