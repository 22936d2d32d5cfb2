"""The comparison's measurements (ulps, bounds, first steps) and its API, in process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrcore
from lrcore.compare import BACKENDS, DEFAULT_BACKENDS, measure, resolve_backends, ulp_distance

ONE = np.float32(1.0)


def up(x: float, n: int = 1) -> float:
    """``x`` moved ``n`` float32 ulps up."""
    bits = np.array([x], dtype=np.float32).view(np.int32) + n
    return float(bits.view(np.float32)[0])


def test_ulp_distance_counts_float32_steps() -> None:
    assert ulp_distance([1.0], [up(1.0, 3)]).tolist() == [3]
    assert ulp_distance([up(1.0, 3)], [1.0]).tolist() == [3]
    # across a power of two the ulp changes size: still one step each
    below = float(np.nextafter(ONE, np.float32(0)))
    assert ulp_distance([below], [up(1.0)]).tolist() == [2]
    # float64 values round to float32 first: a float64 difference inside one float32 ulp is 0
    assert ulp_distance([0.1], [0.1 + 1e-12]).tolist() == [0]


def test_ulp_distance_flushes_below_the_smallest_normal() -> None:
    tiny = float(np.finfo(np.float32).tiny)
    assert ulp_distance([tiny / 4, -tiny / 2, 1e-300], [0.0, 0.0, -0.0]).tolist() == [0, 0, 0]
    assert ulp_distance([tiny], [0.0]).tolist() == [int(np.float32(tiny).view(np.int32))]
    assert ulp_distance([-up(0.5)], [up(0.5)]).tolist() == [2 * int(np.float32(up(0.5)).view(np.int32))]


def test_ulp_distance_nan_exceeds_every_bound() -> None:
    assert ulp_distance([float("nan")], [0.1])[0] > 2**31


@pytest.mark.parametrize("name", list(BACKENDS))
def test_measure_applies_each_bound(name: str) -> None:
    backend = BACKENDS[name]
    reference = np.linspace(0.1, 0.001, 50)
    exact = measure(backend, reference, reference, reference)
    assert exact.ok and exact.max_ulps == 0 and exact.first_diff is None and exact.witness_rel == 0
    rounded = measure(backend, reference.astype(np.float32).astype(np.float64), reference)
    assert rounded.ok == (backend.ulps is not None)
    assert rounded.max_ulps == 0 and rounded.max_abs > 0
    four = reference.astype(np.float32).astype(np.float64)
    four[30:] = [up(x, 4) for x in four[30:]]
    result = measure(backend, four, reference)
    assert result.max_ulps == 4 and result.first_diff == (0 if backend.ulps is None else 30)
    assert result.ok == (backend.ulps == 4)
    assert result.first_violation == (None if backend.ulps == 4 else result.first_diff)


def test_measure_torch_flags_one_float64_bit() -> None:
    reference = np.linspace(0.1, 0.001, 50)
    applied = reference.copy()
    applied[17] = np.nextafter(applied[17], 1.0)
    result = measure(BACKENDS["torch"], applied, reference)
    assert not result.ok and result.first_violation == 17 and result.max_ulps == 0
    assert result.max_rel == pytest.approx(np.spacing(reference[17]) / reference[17])


def test_measure_nan_and_zero_reference() -> None:
    reference = np.array([0.0, 0.5, 0.25])
    result = measure(BACKENDS["optax"], [0.0, float("nan"), 0.25], reference)
    assert not result.ok and result.first_violation == 1 and result.max_abs == float("inf")
    result = measure(BACKENDS["optax"], [1e-9, 0.5, 0.25], reference)
    assert result.max_rel == float("inf") and result.to_json()["max_rel"] is None
    assert not result.ok  # 1e-9 is a normal float32, far from 0 in ulps


def test_measure_checks_the_witness() -> None:
    reference = np.linspace(0.1, 0.001, 50)
    witness = reference * (1 + 5e-5)
    result = measure(BACKENDS["torch"], reference, reference, witness)
    assert result.ok and result.witness_rel == pytest.approx(5e-5)
    witness[20] = reference[20] * 1.001
    result = measure(BACKENDS["torch"], reference, reference, witness)
    assert not result.ok and result.first_violation is None and result.witness_violation == 20
    result = measure(BACKENDS["optax"], reference, reference, witness[:-1])
    assert not result.ok and "49 witness values for 50 steps" in result.message
    assert measure(BACKENDS["optax"], reference, reference, []).ok  # no witness: nothing to check


def test_resolve_backends() -> None:
    assert [b.name for b in resolve_backends(None)] == list(DEFAULT_BACKENDS)
    assert [b.name for b in resolve_backends("all")] == list(BACKENDS)
    assert [b.name for b in resolve_backends(" torch, optax-x64,torch")] == ["torch", "optax-x64"]
    with pytest.raises(ValueError, match="did you mean 'keras-torch'"):
        resolve_backends("keras_torch")


def test_compare_api_with_the_fake_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RUNNER_MODES", json.dumps({"optax": "ulps:5:9"}))
    seen: list[tuple[str, str]] = []
    schedule = lrcore.cosine(start=0.1, end=0.0, steps=100)
    report = lrcore_compare(
        schedule,
        120,
        ["torch", "optax"],
        progress=lambda n, s, r: seen.append((n, s)),
        runner="tests.cli.fake_runner",
    )
    assert sorted(seen) == [("optax", "done"), ("optax", "running"), ("torch", "done"), ("torch", "running")]
    assert list(report.results) == ["torch", "optax"]
    assert report["torch"].ok and not report["optax"].ok and not report.ok
    assert report.failures == [report["optax"]]
    assert report["optax"].first_violation == 5 and report["optax"].max_ulps == 9
    assert np.array_equal(report.reference, schedule.values(np.arange(120)))
    assert "optax broke its bound (0 ulps, 1 at ties) first at step 5" in report.format_table()
    json.dumps(report.to_json())  # JSON-able
    # a config mapping works as well as a schedule, and steps_per_epoch changes the reference
    report = lrcore_compare(
        schedule.to_config(), 120, "torch", steps_per_epoch=7, runner="tests.cli.fake_runner"
    )
    assert report.ok
    assert np.array_equal(report.reference, lrcore.per_epoch(schedule, 7).values(np.arange(120)))


def lrcore_compare(*args, **kwargs):  # type: ignore[no-untyped-def]
    from lrcore.compare import compare

    return compare(*args, **kwargs)


def test_bad_arguments_raise() -> None:
    from lrcore.compare import compare

    with pytest.raises(lrcore.ConfigError):
        compare({"type": "cosine"}, 10)
    with pytest.raises(ValueError, match="steps"):
        compare(lrcore.constant(value=0.1), 0)


def test_import_lrcore_leaves_compare_cli_and_plot_out() -> None:
    code = (
        "import sys, lrcore; bad = [m for m in ('lrcore.compare', 'lrcore.cli', 'lrcore.plot', 'matplotlib') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_import_compare_and_cli_leave_frameworks_out() -> None:
    code = (
        "import sys, lrcore.compare, lrcore.cli; print([m for m in ('torch', 'jax', 'tensorflow', 'keras', "
        "'optax', 'matplotlib') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_report_to_json_is_json_text_and_to_dict_the_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrcore.compare import compare

    monkeypatch.setenv("FAKE_RUNNER_MODES", "{}")
    report = compare(lrcore.linear(start=0.1, end=0.0, steps=10), 12, "torch", runner="tests.cli.fake_runner")
    text = report.to_json()
    assert isinstance(text, str) and json.loads(text) == report.to_dict()
    assert report.to_dict()["backends"]["torch"]["max_ulps"] == 0 and report.to_dict()["compared"] is True


def test_backend_bounds_come_from_the_precision_contract() -> None:
    from lrcore.backends import FLOAT32, FLOAT64, HOST_FLOAT64

    powered = lrcore.cosine(start=0.1, end=0.0, steps=100, exponent=3)
    for backend in BACKENDS.values():
        expected = {HOST_FLOAT64: None, FLOAT64: 0, FLOAT32: 0}[backend.precision]
        assert backend.ulps == expected and backend.ulps_for(powered) == expected  # powered shapes too
        assert backend.near_ties == (backend.precision == FLOAT32)


def test_float32_backends_may_miss_only_near_ties() -> None:
    """A float32-only backend may be 1 ulp off only where the reference lies within
    NEAR_TIE of a float32 midpoint; it is counted, and anything else is a violation."""
    from lrcore.compare.measurement import measure
    from lrcore.precision import NEAR_TIE

    one, up = np.float32(0.1), np.nextafter(np.float32(0.1), np.float32(1))
    midpoint = (float(one) + float(up)) / 2
    tie = midpoint * (1 - NEAR_TIE / 4)  # rounds to `one`, but only just
    clear = midpoint * (1 - 2**-30)
    reference = np.array([0.05, tie, clear])
    applied = np.array([0.05, float(up), float(np.float32(clear))])
    result = measure(BACKENDS["optax"], applied, reference)
    assert result.ok and result.near_ties == 1 and result.max_ulps == 1 and result.first_diff == 1
    applied[2] = float(up)  # 1 ulp off where the rounding is clear
    result = measure(BACKENDS["optax"], applied, reference)
    assert not result.ok and result.first_violation == 2 and result.near_ties == 1
    result = measure(BACKENDS["keras-tensorflow"], applied, reference)  # float64-capable: no allowance
    assert not result.ok and result.first_violation == 1 and result.near_ties is None


def test_backend_groups() -> None:
    assert [b.name for b in resolve_backends("keras")] == ["keras-tensorflow", "keras-jax", "keras-torch"]
    assert [b.name for b in resolve_backends("keras-jax,keras")] == [
        "keras-jax",
        "keras-tensorflow",
        "keras-torch",
    ]
    assert [b.name for b in resolve_backends("optax")] == ["optax"]  # a backend's own name, not a group
    with pytest.raises(ValueError, match="did you mean 'keras'"):
        resolve_backends("kera")


def test_compare_refuses_bad_arguments_before_running_anything() -> None:
    from lrcore.compare import compare

    nested = lrcore.per_epoch(lrcore.step(start=0.01, gamma=0.1, step_size=5), steps_per_epoch=100)
    with pytest.raises(ValueError, match=r"already per_epoch\(\.\.\., steps_per_epoch=100\)"):
        compare(nested, 1000, "torch", steps_per_epoch=100, runner="lrcore_no_such_runner")
    for timeout in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            compare(nested, 1000, "torch", timeout=timeout, runner="lrcore_no_such_runner")
    with pytest.raises(lrcore.ConfigError, match="plateau"):
        compare(lrcore.plateau(0.1), 10, "torch", runner="lrcore_no_such_runner")


def test_runner_protocol_round_trip() -> None:
    from lrcore.compare.protocol import Request, Response

    request = Request({"type": "constant", "value": 0.1}, 5, 2)
    assert Request.from_json(request.to_json()) == request
    response = Response([0.1, 0.2], [0.1, 0.2])
    assert Response.parse("Epoch 1/1 {chatter\n" + response.to_json() + "\n") == response
    assert Response.parse('{"witness": []}') is None


def test_compare_figure_keeps_legends_off_the_data_and_equal_curves_visible(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from lrcore.compare import compare
    from lrcore.plot import plot_compare

    monkeypatch.setenv("FAKE_RUNNER_MODES", json.dumps({"keras-jax": "ulps:30:2"}))
    schedule = lrcore.cosine(start=0.1, end=0.0, steps=100)
    report = compare(schedule, 120, ["torch", "optax", "keras-jax"], runner="tests.cli.fake_runner")
    figures: list[object] = []
    close = plt.close
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to look at
    plot_compare(report, tmp_path / "cmp.svg")
    (figure,) = figures
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axes in figure.axes:
        legend = axes.get_legend()
        assert legend is not None
        assert not legend.get_window_extent(renderer).overlaps(axes.get_window_extent(renderer))
    top, bottom = figure.axes
    backends = [line for line in top.get_lines() if line.get_label() in report.results]
    assert len(backends) == 3
    assert (
        len({(line.get_linestyle(), line.get_marker(), str(line.get_markevery())) for line in backends}) == 3
    )
    bound = report["keras-jax"].ulps
    assert bool(bound) == (f"bound ±{bound} ulps" in [line.get_label() for line in bottom.get_lines()])
    close(figure)


def test_text_plot_rows_have_no_trailing_spaces() -> None:
    from lrcore.plot import text_plot

    rows = text_plot([1.0, 1.0, 0.0, 0.0, 0.5, 0.0], width=6, height=3)
    assert rows and all(row == row.rstrip() for row in rows)


def test_compare_api_binds_durations_and_sends_the_bound_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAKE_RUNNER_MODES", raising=False)
    recipe = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps="9ep"), steps="10%")
    bound = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=90), steps=12)  # 10% of 120, 9 x 10
    report = lrcore_compare(
        recipe.to_config(), 120, "torch", total_steps=120, steps_per_epoch=10, runner="tests.cli.fake_runner"
    )
    # the fake runner builds its schedule from the config it was sent: "9ep" would crash it
    assert report.ok, report.format_table()
    assert report.config == bound.to_config() and report.steps_per_epoch is None
    assert np.array_equal(report.reference, bound.values(np.arange(120)))
    with pytest.raises(
        lrcore.ConfigError, match=r"schedule\.steps: .*'9ep' \(an epoch count: add steps_per_epoch"
    ):
        lrcore_compare(recipe, 120, "torch", total_steps=120, runner="lrcore_no_such_runner")
    with pytest.raises(ValueError, match="total_steps must be a positive integer, got 0"):
        lrcore_compare(recipe, 120, "torch", total_steps=0, runner="lrcore_no_such_runner")
