"""The ``lrcore`` command, run as a user runs it: ``python -m lrcore ...`` in a subprocess,
on real files. ``compare`` runs against the fake runner (tests/cli/fake_runner.py), so
these tests need no framework."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrcore
from lrcore.cli import EXAMPLES, EXAMPLES_DIR

ROOT = Path(__file__).resolve().parents[2]
FAKE = "tests.cli.fake_runner"
PNG = b"\x89PNG\r\n\x1a\n"


def lrcore_cmd(
    *args: str,
    cwd: Path,
    modes: dict[str, str] | None = None,
    fake: bool = True,
    timeout: float = 120,
    path: tuple[Path, ...] = (),
) -> subprocess.CompletedProcess[str]:
    search = [*map(str, path), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(search)}
    env.pop("LRCORE_COMPARE_RUNNER", None)
    env.pop("FAKE_RUNNER_MODES", None)
    if fake:
        env["LRCORE_COMPARE_RUNNER"] = FAKE
        env["FAKE_RUNNER_MODES"] = json.dumps(modes or {})
    return subprocess.run(
        [sys.executable, "-m", "lrcore", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def bundled(name: str) -> Path:
    (path,) = [p for p in EXAMPLES_DIR.iterdir() if p.stem == name]
    return path


# -- examples -------------------------------------------------------------------------------------


def test_every_example_is_listed_loads_and_covers_each_format() -> None:
    files = sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix in (".json", ".yaml", ".yml", ".toml"))
    assert sorted(p.stem for p in files) == sorted(EXAMPLES)
    assert {p.suffix for p in files} == {".json", ".yaml", ".toml"}
    for path in files:
        schedule = lrcore.load(path)
        assert lrcore.from_config(schedule.to_config()) == schedule


def test_seed_examples_have_the_documented_values() -> None:
    keras = lrcore.load(bundled("keras-exponential-decay"))
    assert keras(99_999) == 0.1 and keras(100_000) == 0.1 * 0.96 and keras(250_000) == 0.1 * 0.96**2
    epochs = lrcore.load(bundled("step-decay-per-epoch"))
    for epoch in (0, 4, 5, 9, 10, 17):
        assert epochs(epoch * 100) == pytest.approx(0.01 * 0.1 ** (epoch // 5), rel=1e-15)
        assert epochs(epoch * 100 + 99) == epochs(epoch * 100)


# -- show, plot, export --------------------------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    done = lrcore_cmd("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"lrcore {lrcore.__version__}"


# A bundled example written in durations is shown bound to this run.
BINDING = {"total_steps": 3000, "steps_per_epoch": 30}
FLAGS = ("--total-steps", "3000", "--steps-per-epoch", "30")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_show_each_example_by_name_and_by_file(name: str, tmp_path: Path) -> None:
    copy = tmp_path / bundled(name).name
    shutil.copy(bundled(name), copy)
    schedule = lrcore.load(copy)
    durations = bool(schedule.unbound_durations())
    if durations:
        schedule = schedule.bind(**BINDING)
    for config in (name, str(copy)):
        done = lrcore_cmd("show", config, "--steps", "3000", *(FLAGS if durations else ()), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert repr(schedule) in done.stdout
        values = schedule.values(np.arange(3000))
        peak = int(np.argmax(values))
        assert f"{values[peak]:.6g} at step {peak:,}" in done.stdout
        assert f"{values[-1]:.6g} at step 2,999" in done.stdout


def test_show_names_breakpoints_and_draws(tmp_path: Path) -> None:
    done = lrcore_cmd("show", "warmup-stable-decay", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "breakpoints  1,000, 16,000, 20,000" in done.stdout
    assert "holds 0 from step 20,000" in done.stdout
    plot_rows = [line for line in done.stdout.splitlines() if "|" in line]
    assert len(plot_rows) == 8


def test_inline_json_and_set_build_the_same_schedule(tmp_path: Path) -> None:
    inline = '{"type": "cosine", "start": 0.1, "end": 0, "steps": 1000}'
    sets = ["--set", "type=cosine", "--set", "start=0.1", "--set", "end=0", "--set", "steps=1000"]
    a = lrcore_cmd("export", inline, "--steps", "1100", cwd=tmp_path)
    b = lrcore_cmd("export", *sets, "--steps", "1100", cwd=tmp_path)
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout


def test_set_overrides_nested_fields_of_a_config(tmp_path: Path) -> None:
    done = lrcore_cmd(
        "show", "warmup-cosine", "--set", "schedule.start=1e-3", "--set", "steps=50", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (
        "lrcore.warmup(schedule=lrcore.cosine(start=0.001, end=3e-05, steps=9000), steps=50)" in done.stdout
    )
    assert "peak         0.001 at step 50" in done.stdout


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_an_image(suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"lr{suffix}"
    done = lrcore_cmd("plot", "one-cycle", "-o", str(out), "--log", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.startswith(PNG) if suffix == ".png" else b"<svg" in data[:2000]


def test_plot_default_file_name(tmp_path: Path) -> None:
    done = lrcore_cmd(
        "plot",
        "--set",
        "type=linear",
        "--set",
        "start=1",
        "--set",
        "end=0",
        "--set",
        "steps=10",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lrcore-plot.png").read_bytes().startswith(PNG)


def test_without_matplotlib(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    (hide / "matplotlib").mkdir(parents=True)
    (hide / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('matplotlib is hidden by the test')\n"
    )
    done = lrcore_cmd("plot", "one-cycle", cwd=tmp_path, path=(hide,))
    assert (
        done.returncode == 1
        and "pip install '.[plot]' in lrcore's source tree" in done.stderr
        and "Traceback" not in done.stderr
    )
    assert not (tmp_path / "lrcore-plot.png").exists()
    done = lrcore_cmd(
        "compare", "one-cycle", "--steps", "50", "--backends", "torch", cwd=tmp_path, path=(hide,)
    )
    assert done.returncode == 0 and "(no overlay plot: plotting needs matplotlib" in done.stdout
    done = lrcore_cmd(
        "compare",
        "one-cycle",
        "--steps",
        "50",
        "--backends",
        "torch",
        "-o",
        "x.png",
        cwd=tmp_path,
        path=(hide,),
    )
    assert done.returncode == 1 and "pip install '.[plot]' in lrcore's source tree" in done.stderr


def test_export_csv_is_exact(tmp_path: Path) -> None:
    out = tmp_path / "curve.csv"
    done = lrcore_cmd(
        "export", str(bundled("warmup-cosine")), "--steps", "2500", "-o", str(out), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    with out.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["step", "lr"]
    steps = [int(r[0]) for r in rows[1:]]
    lrs = np.array([float(r[1]) for r in rows[1:]])
    assert steps == list(range(2500))
    reference = lrcore.load(bundled("warmup-cosine")).values(np.arange(2500))
    assert np.array_equal(lrs, reference)  # bit for bit: repr() round-trips float64


def test_export_json(tmp_path: Path) -> None:
    done = lrcore_cmd("export", "step-decay-per-epoch", "--steps", "1200", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    schedule = lrcore.load(bundled("step-decay-per-epoch"))
    assert lrcore.from_config(data["config"]) == schedule
    assert data["step"] == list(range(1200))
    assert data["lr"] == schedule.values(np.arange(1200)).tolist()


# -- bad configs and usage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            '{"type": "warmup", "steps": 10, "schedule": {"type": "cosine", "strat": 1, "end": 0, "steps": 5}}',
            ["error: schedule.strat:", "did you mean 'start'?"],
        ),
        (
            '{"type": "cosine", "start": 0.1, "end": 0, "steps": "many"}',
            ["error: steps: expected an integer"],
        ),
        ('{"type": "cosinus", "start": 0.1}', ["error: type:", "did you mean 'cosine'?"]),
        ('{"type": "cosine", "start": 0.1', ["error: <config>: expected valid inline JSON"]),
        ("warmup-cosin", ["error: CONFIG:", "did you mean 'warmup-cosine'?"]),
        ("missing.yaml", ["error: CONFIG: no such file: missing.yaml"]),
    ],
)
def test_bad_config_exits_2_with_the_field_path(config: str, expected: list[str], tmp_path: Path) -> None:
    for command in ("show", "export", "compare"):
        done = lrcore_cmd(command, config, "--steps", "10", cwd=tmp_path)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        for text in expected:
            assert text in done.stderr
        assert "Traceback" not in done.stderr


def test_bad_files_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("type: one_cycle\npeak: -1\ntotal: 100\n")
    (tmp_path / "broken.toml").write_text("type = \n")
    (tmp_path / "code.yaml").write_text("!!python/object/apply:os.system ['echo hi']\n")
    for name, text in [
        ("bad.yaml", "error: peak: expected a finite number >= 0"),
        ("broken.toml", "error: <config>: expected valid TOML"),
        ("code.yaml", "error: <config>: expected valid, plain-data YAML"),
    ]:
        done = lrcore_cmd("show", name, cwd=tmp_path)
        assert done.returncode == 2 and text in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_set_errors_exit_2(tmp_path: Path) -> None:
    done = lrcore_cmd("show", "--set", "type=cosine", "--set", "start=0.1", "--set", "steps=10", cwd=tmp_path)
    assert done.returncode == 2 and "error: end: expected a value (required by 'cosine')" in done.stderr
    done = lrcore_cmd("show", "--set", "nokey", cwd=tmp_path)
    assert done.returncode == 2 and "error: --set 'nokey': expected KEY=VALUE" in done.stderr
    done = lrcore_cmd("show", "one-cycle", "--set", "peak.x=1", cwd=tmp_path)
    assert done.returncode == 2 and "'peak' is a value" in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert lrcore_cmd(cwd=tmp_path).returncode == 2
    assert lrcore_cmd("show", "one-cycle", "--steps", "0", cwd=tmp_path).returncode == 2
    done = lrcore_cmd("compare", "one-cycle", "--backends", "torch,keras-jx", cwd=tmp_path)
    assert done.returncode == 2 and "did you mean 'keras-jax'?" in done.stderr


# -- compare (fake runner) ----------------------------------------------------------------------------


def test_compare_default_example_all_ok_with_overlay_and_json(tmp_path: Path) -> None:
    done = lrcore_cmd("compare", "--steps", "1200", "--json", "report.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the bundled example 'warmup-cosine'" in done.stderr
    for backend in ("torch", "optax", "keras-tensorflow", "keras-jax", "keras-torch"):
        assert backend in done.stderr  # progress
        (row,) = [line for line in done.stdout.splitlines() if line.startswith(backend + " ")]
        assert row.rstrip().endswith("ok")
    assert "optax-x64" not in done.stdout
    assert "all 5 backends kept their bounds" in done.stdout
    assert (tmp_path / "lrcore-compare.png").read_bytes().startswith(PNG)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["ok"] is True and report["steps"] == 1200 and report["missing"] == []
    assert report["config"] == lrcore.load(bundled("warmup-cosine")).to_config()
    assert (
        report["backends"]["torch"]["max_ulps"] == 0 and report["backends"]["torch"]["bound"] == "bit-exact"
    )
    assert report["backends"]["optax"]["bound"] == "0 ulps, 1 at ties"
    assert report["backends"]["optax"]["near_ties"] == 0 and report["backends"]["optax"]["max_ulps"] == 0
    assert report["backends"]["optax"]["max_rel"] > 0  # float32 values are not the float64 reference


def test_compare_float32_backends_must_give_float32_of_the_reference(tmp_path: Path) -> None:
    # SPEC 7: float32-only backends too give float32(reference); 1 ulp off at a step that is
    # not a near tie breaks the bound (the first release allowed 4 ulps).
    modes = {"optax": "ulps:10:1", "keras-jax": "float32", "keras-torch": "ulps:20:1"}
    done = lrcore_cmd(
        "compare", "one-cycle", "--steps", "500", "--no-plot", "--json", "-", cwd=tmp_path, modes=modes
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    result = report["backends"]
    assert not result["optax"]["ok"] and result["optax"]["first_violation"] == 10
    assert result["optax"]["max_ulps"] == 1 and result["optax"]["near_ties"] == 0
    assert (
        result["keras-jax"]["ok"]
        and result["keras-jax"]["max_ulps"] == 0
        and result["keras-jax"]["near_ties"] == 0
    )
    assert not result["keras-torch"]["ok"] and result["keras-torch"]["first_violation"] == 20
    assert result["keras-torch"]["near_ties"] is None  # float64-capable: no tie allowance
    assert (
        "optax broke its bound (0 ulps, 1 at ties) first at step 10" in done.stderr
    )  # the table is on stderr
    assert "keras-torch broke its bound (0 ulps) first at step 20" in done.stderr


def test_compare_mismatch_message_and_reproduce_command(tmp_path: Path) -> None:
    modes = {"keras-jax": "ulps:700:7"}
    done = lrcore_cmd(
        "compare", str(bundled("warmup-cosine")), "--steps", "1500", "--no-plot", cwd=tmp_path, modes=modes
    )
    assert done.returncode == 1
    schedule = lrcore.load(bundled("warmup-cosine"))
    reference = float(schedule(700))
    applied = np.float32(np.frombuffer((np.float32(reference).view(np.int32) + 7).tobytes(), np.float32)[0])
    lines = done.stdout.splitlines()
    (first,) = [line for line in lines if line.startswith("keras-jax broke its bound")]
    assert first == (
        f"keras-jax broke its bound (0 ulps, 1 at ties) first at step 700: applied {applied} (float32), "
        f"reference {np.float32(reference)} (float32 of {reference!r}): 7 ulps apart"
    )
    compact = json.dumps(schedule.to_config(), separators=(",", ":"))
    assert f"  config: {compact}" in lines
    (repro,) = [line for line in lines if line.startswith("  reproduce: ")]
    words = shlex.split(repro.removeprefix("  reproduce: "))
    assert words == ["lrcore", "compare", compact, "--steps", "1500", "--backends", "keras-jax"]
    again = lrcore_cmd(*words[1:], "--no-plot", cwd=tmp_path, modes=modes)
    assert again.returncode == 1 and first in again.stdout


def test_compare_flags_an_update_that_did_not_use_the_recorded_rate(tmp_path: Path) -> None:
    done = lrcore_cmd(
        "compare",
        "one-cycle",
        "--steps",
        "300",
        "--backends",
        "keras-torch",
        "--no-plot",
        cwd=tmp_path,
        modes={"keras-torch": "witness:42"},
    )
    assert done.returncode == 1
    assert "keras-torch: the update at step 42 used a learning rate of " in done.stdout
    assert "the runner does not record the rate the optimizer applied" in done.stdout
    assert "from step 42" in done.stderr


def test_compare_torch_bound_is_bit_exact(tmp_path: Path) -> None:
    done = lrcore_cmd(
        "compare",
        "one-cycle",
        "--steps",
        "300",
        "--backends",
        "torch",
        "--no-plot",
        cwd=tmp_path,
        modes={"torch": "float32"},
    )
    assert done.returncode == 1
    applied = float(np.float32(0.0004))
    assert (
        f"torch broke its bound (bit-exact) first at step 0: applied {applied!r}, "
        "reference 0.0004 (float64; 0 float32 ulps apart)"
    ) in done.stdout


def test_compare_runner_failures_are_reported(tmp_path: Path) -> None:
    modes = {"torch": "crash", "optax": "short", "keras-jax": "chatter"}
    done = lrcore_cmd(
        "compare",
        "one-cycle",
        "--steps",
        "100",
        "--backends",
        "torch,optax,keras-jax",
        "--no-plot",
        cwd=tmp_path,
        modes=modes,
    )
    assert done.returncode == 1
    assert "torch: the runner tests.cli.fake_runner failed (exit 1)" in done.stdout
    assert "RuntimeError: the fake runner crashed on purpose" in done.stdout
    assert "optax: the runner reported 99 learning rates for 100 steps" in done.stdout
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("keras-jax ")]
    assert row.rstrip().endswith("ok")  # chatter before the JSON is skipped


def test_compare_not_installed_is_skipped_by_default_and_fails_when_requested(tmp_path: Path) -> None:
    modes = {"keras-tensorflow": "missing:tensorflow", "keras-jax": "missing:keras"}
    done = lrcore_cmd("compare", "--steps", "100", "--no-plot", cwd=tmp_path, modes=modes)
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("keras-tensorflow ")]
    assert row.rstrip().endswith(
        "not installed (pip install '.[keras]' in lrcore's source tree, or '<wheel file>[keras]')"
    )
    assert "skipped (not installed): keras-tensorflow, keras-jax" in done.stdout
    done = lrcore_cmd(
        "compare", "--steps", "100", "--no-plot", "--backends", "torch,keras-jax", cwd=tmp_path, modes=modes
    )
    assert done.returncode == 3
    assert (
        "error: requested backend not installed: keras-jax (pip install '.[keras,jax]' in lrcore's source tree"
        in done.stderr
    )


def test_compare_steps_per_epoch(tmp_path: Path) -> None:
    done = lrcore_cmd(
        "compare",
        "--set",
        "type=step",
        "--set",
        "start=0.01",
        "--set",
        "gamma=0.1",
        "--set",
        "step_size=5",
        "--steps",
        "1200",
        "--steps-per-epoch",
        "100",
        "--backends",
        "torch,optax",
        "--no-plot",
        "--json",
        "r.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1,200 steps, 100 steps per epoch" in done.stdout
    assert json.loads((tmp_path / "r.json").read_text())["steps_per_epoch"] == 100


def test_compare_with_no_framework_found_skips_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a runner override the parent's install check decides; here every backend
    is made to need a module that cannot exist, so nothing runs."""
    from lrcore import compare as compare_module

    monkeypatch.delenv("LRCORE_COMPARE_RUNNER", raising=False)
    for name, backend in list(compare_module.BACKENDS.items()):
        monkeypatch.setitem(
            compare_module.BACKENDS,
            name,
            dataclasses.replace(backend, requires=("lrcore_no_such_framework",)),
        )
    report = compare_module.compare(lrcore.constant(value=0.1), 10)
    assert report.ok and report.missing == list(compare_module.DEFAULT_BACKENDS)
    assert all(r.applied is None and r.seconds is None for r in report)
    assert "lrcore_no_such_framework not installed" in report["torch"].message


# -- a newcomer's first hour (issue 19) ----------------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "plot", "export"])
def test_every_command_without_a_config_uses_the_compare_default(command: str, tmp_path: Path) -> None:
    done = lrcore_cmd(command, "--steps", "1200", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"lrcore {command}: no CONFIG given, using the bundled example 'warmup-cosine'" in done.stderr
    named = lrcore_cmd(command, "warmup-cosine", "--steps", "1200", cwd=tmp_path)
    assert named.returncode == 0 and named.stdout == done.stdout
    if command == "plot":
        assert (tmp_path / "lrcore-plot.png").read_bytes().startswith(PNG)


def test_compare_exits_4_when_nothing_was_compared(tmp_path: Path) -> None:
    from lrcore.backends import DEFAULT_BACKENDS

    modes = {name: "missing:lrcore_no_such_framework" for name in DEFAULT_BACKENDS}
    done = lrcore_cmd("compare", "--steps", "100", "--json", "r.json", cwd=tmp_path, modes=modes)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "error: nothing was compared" in done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["compared"] is False
    assert not (tmp_path / "lrcore-compare.png").exists()
    named = lrcore_cmd("compare", "--steps", "100", "--backends", "torch", cwd=tmp_path, modes=modes)
    assert named.returncode == 4 and "error: nothing was compared" in named.stderr
    some = lrcore_cmd("compare", "--steps", "100", "--backends", "torch", "--no-plot", cwd=tmp_path)
    assert some.returncode == 0 and "nothing was compared" not in some.stdout + some.stderr


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "soon"])
def test_compare_timeout_must_be_positive(seconds: str, tmp_path: Path) -> None:
    done = lrcore_cmd("compare", "one-cycle", "--timeout", seconds, cwd=tmp_path)
    assert done.returncode == 2 and "expected a positive number of seconds" in done.stderr
    assert "running" not in done.stderr


def test_yaml_syntax_error_shows_its_line_and_column(tmp_path: Path) -> None:
    lines = ["type: cosine", "start: 0.1", "end: [0", "steps: 100", "exponent: 1"]
    (tmp_path / "broken.yaml").write_text("\n".join(lines) + "\n")
    done = lrcore_cmd("show", "broken.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (error,) = done.stderr.splitlines()
    assert "got 'line 4: steps: 100' (line 4, column 6: expected ',' or ']', but got ':')" in error
    assert "type: cosine" not in error and "exponent" not in error


def test_compare_refuses_steps_per_epoch_on_a_per_epoch_schedule(tmp_path: Path) -> None:
    done = lrcore_cmd("compare", "step-decay-per-epoch", "--steps-per-epoch", "100", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: --steps-per-epoch 100: the schedule is already per_epoch(..., steps_per_epoch=100)" in (
        done.stderr
    )
    assert "running" not in done.stderr and not done.stdout
    inner = '{"type": "step", "start": 0.01, "gamma": 0.1, "step_size": 5}'
    done = lrcore_cmd(
        "compare",
        inner,
        "--steps-per-epoch",
        "100",
        "--steps",
        "1200",
        "--backends",
        "torch",
        "--no-plot",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr


def test_backends_keras_names_the_three_keras_backends(tmp_path: Path) -> None:
    done = lrcore_cmd(
        "compare", "one-cycle", "--steps", "50", "--backends", "keras", "--no-plot", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    rows = [
        line.split()[0] for line in done.stdout.splitlines() if line.startswith(("keras-", "torch", "optax"))
    ]
    assert rows == ["keras-tensorflow", "keras-jax", "keras-torch"]


def test_plot_writes_the_format_its_suffix_names(tmp_path: Path) -> None:
    done = lrcore_cmd("plot", "one-cycle", "-o", "lr.pdf", cwd=tmp_path)
    assert done.returncode == 0 and (tmp_path / "lr.pdf").read_bytes().startswith(b"%PDF"), done.stderr
    for name in ("lr.jpg", "lr"):
        done = lrcore_cmd("plot", "one-cycle", "-o", name, cwd=tmp_path)
        assert done.returncode == 2 and "expected an image file ending in .png, .svg, .pdf" in done.stderr
        assert not (tmp_path / name).exists()
    done = lrcore_cmd("compare", "one-cycle", "--steps", "50", "-o", "cmp.gif", cwd=tmp_path)
    assert done.returncode == 2 and "running" not in done.stderr


def test_show_prints_no_trailing_spaces(tmp_path: Path) -> None:
    for config in ("one-cycle", "step-decay-per-epoch", "warmup-stable-decay"):
        done = lrcore_cmd("show", config, cwd=tmp_path)
        assert done.returncode == 0
        assert [line for line in done.stdout.splitlines() if line != line.rstrip()] == []


def test_help_shows_the_backends_table_and_the_exit_codes(tmp_path: Path) -> None:
    from lrcore.backends import BACKENDS, describe
    from lrcore.cli import EXIT_CODES

    done = lrcore_cmd("compare", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for line in describe():
        assert "  " + line in done.stdout.splitlines()
    flowing = " ".join(done.stdout.split()).replace("- ", "-")  # argparse wraps at hyphens
    assert f"'keras' ({', '.join(n for n in BACKENDS if n.startswith('keras-'))})" in flowing
    top = lrcore_cmd("--help", cwd=tmp_path).stdout
    for text in (done.stdout, top):
        for code, meaning in EXIT_CODES.items():
            assert f"  {code}  {meaning}" in text.splitlines()


def test_readme_command_section_lists_every_backend_and_exit_code() -> None:
    from lrcore.backends import BACKENDS
    from lrcore.cli import EXIT_CODES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The `lrcore` command") :]
    section = section[: section.index("\n## ", 5)]
    for name, backend in BACKENDS.items():
        (row,) = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
        assert f"| {backend.bound} |" in row and f"`lrcore[{backend.extra}]`" in row, row
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in section


@pytest.mark.parametrize("name", ["keras-exponential-decay", "step-decay-per-epoch"])
def test_show_lists_the_steps_where_a_staircase_drops(name: str, tmp_path: Path) -> None:
    schedule = lrcore.load(bundled(name))
    values = schedule.values(np.arange(1_100_000))
    drops = (np.flatnonzero(np.diff(values) != 0) + 1).tolist()
    assert drops and schedule.breakpoints()[:5] == drops[:5]
    done = lrcore_cmd("show", name, "--steps", "3000", cwd=tmp_path)
    assert done.returncode == 0
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("  breakpoints")]
    assert line.split(None, 1)[1].startswith(", ".join(f"{b:,}" for b in drops[:3]))


# -- durations: --total-steps and --steps-per-epoch ----------------------------------------------

RECIPE = "warmup-cosine-durations"  # warmup "5%", then a cosine over "90ep"


def hand_bound(total_steps: int, steps_per_epoch: int) -> lrcore.Schedule:
    """The recipe with its durations worked out by hand: 5% of the run, 90 epochs."""
    warmup = (5 * total_steps + 50) // 100  # nearest, halves up
    cosine = lrcore.cosine(start=0.1, end=1e-4, steps=90 * steps_per_epoch)
    return lrcore.warmup(cosine, steps=warmup)


@pytest.mark.parametrize(("total", "per_epoch"), [(9500, 100), (37145, 391)])
def test_export_binds_the_recipe_to_each_run(total: int, per_epoch: int, tmp_path: Path) -> None:
    flags = ("--total-steps", str(total), "--steps-per-epoch", str(per_epoch))
    done = lrcore_cmd("export", RECIPE, *flags, "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    expected = hand_bound(total, per_epoch)
    assert data["config"] == expected.to_config()  # integer steps, no durations left
    assert data["steps"] == expected.horizon + max(10, expected.horizon // 20)
    assert data["lr"] == expected.values(np.arange(data["steps"])).tolist()


@pytest.mark.parametrize("command", ["show", "plot", "export", "compare"])
def test_an_unbound_duration_names_the_parameter_and_the_flag(command: str, tmp_path: Path) -> None:
    done = lrcore_cmd(command, RECIPE, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "error: schedule.steps: expected a bound duration, got '90ep' "
        "(an epoch count: add --steps-per-epoch K to bind it)"
    ) in done.stderr
    done = lrcore_cmd(command, RECIPE, "--steps-per-epoch", "100", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "error: steps: expected a bound duration, got '5%' (a fraction of the run: add --total-steps N"
        in (done.stderr)
    )
    assert "Traceback" not in done.stderr and "running" not in done.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_steps_per_epoch_steps_an_integer_config_per_epoch_and_binds_one_with_durations(
    tmp_path: Path,
) -> None:
    # integer steps: --steps-per-epoch K steps the schedule once per K updates, as it always did
    integer = '{"type": "step", "start": 0.01, "gamma": 0.1, "step_size": 5}'
    done = lrcore_cmd("export", integer, "--steps-per-epoch", "100", "--steps", "1200", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(done.stdout.splitlines()))
    stepped = lrcore.per_epoch(lrcore.from_config(json.loads(integer)), 100)
    assert [float(r["lr"]) for r in rows] == stepped.values(np.arange(1200)).tolist()
    assert float(rows[499]["lr"]) == 0.01 and float(rows[500]["lr"]) != 0.01
    # the same with "5ep": K binds the duration, and the schedule steps every update
    durations = '{"type": "step", "start": 0.01, "gamma": 0.1, "step_size": "5ep"}'
    done = lrcore_cmd("export", durations, "--steps-per-epoch", "100", "--steps", "1200", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    bound = lrcore.step(start=0.01, gamma=0.1, step_size=500)
    assert [float(r["lr"]) for r in csv.DictReader(done.stdout.splitlines())] == bound.values(
        np.arange(1200)
    ).tolist()
    # both give the same curve here: a step of 5 epochs either way
    assert bound.values(np.arange(1200)).tolist() == stepped.values(np.arange(1200)).tolist()
    # show says which one it ran
    shown = lrcore_cmd("show", durations, "--steps-per-epoch", "100", cwd=tmp_path)
    assert "lrcore.step(start=0.01, gamma=0.1, step_size=500)" in shown.stdout, shown.stderr
    shown = lrcore_cmd("show", integer, "--steps-per-epoch", "100", "--steps", "1200", cwd=tmp_path)
    assert (
        "lrcore.per_epoch(schedule=lrcore.step(start=0.01, gamma=0.1, step_size=5), steps_per_epoch=100)"
        in (shown.stdout)
    ), shown.stderr


def test_compare_sends_the_runners_the_bound_config(tmp_path: Path) -> None:
    # The fake runner builds the schedule from the config it is sent: an unbound one would
    # crash it (a ConfigError evaluating "90ep"), so every backend ok means it got integers.
    done = lrcore_cmd(
        "compare",
        RECIPE,
        "--total-steps",
        "9500",
        "--steps-per-epoch",
        "100",
        "--backends",
        "torch,optax",
        "--no-plot",
        "--json",
        "r.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    expected = hand_bound(9500, 100)
    assert report["config"] == expected.to_config()
    assert report["steps_per_epoch"] is None  # bound, not stepped per epoch
    assert report["steps"] == expected.horizon + max(10, expected.horizon // 20)
    assert [r["status"] for r in report["backends"].values()] == ["ok", "ok"], report["backends"]
    assert "steps per epoch" not in done.stdout


def test_help_says_the_binding_rule(tmp_path: Path) -> None:
    for command in ("show", "plot", "export", "compare"):
        done = lrcore_cmd(command, "--help", cwd=tmp_path)
        text = " ".join(done.stdout.split())
        assert "--total-steps N" in text and "binds CONFIG's fractions of the run ('5%', '0.05dur')" in text
        assert "a CONFIG of integer steps only is stepped once per epoch of K updates instead" in text
