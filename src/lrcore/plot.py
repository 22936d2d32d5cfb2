"""Pictures of schedules: matplotlib figures (the ``plot`` extra) and text plots for the
terminal (no dependency beyond NumPy).

>>> s = lrcore.warmup(lrcore.cosine(start=3e-4, end=3e-5, steps=900), steps=100)
>>> print("\\n".join(text_plot(s.values(range(1000)), width=20, height=2)))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._schedule import Schedule
    from .compare import Report

_BLOCKS = " ▁▂▃▄▅▆▇█"
_ASCII = " ..::-=+*#"
MAX_MARKED = 40  # beyond this many breakpoints the vertical lines only hide the curve
IMAGE_FORMATS = ("png", "svg", "pdf")
"""The image formats the figures are written in, chosen by the file's suffix."""


class MissingMatplotlib(RuntimeError):
    """matplotlib is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "plotting needs matplotlib: pip install '.[plot]' in lrcore's source tree, or '<wheel file>[plot]'"
        )


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingMatplotlib() from None
    matplotlib.use("Agg")  # files only: never open a window, work without a display
    import matplotlib.pyplot as plt

    return plt


def plot_schedule(schedule: Schedule, steps: int, path: str | Path, *, log: bool = False) -> Path:
    """Draw ``schedule`` over ``steps`` updates into ``path`` (its suffix picks one of
    :data:`IMAGE_FORMATS`), with its breakpoints marked; ``log`` uses a logarithmic
    learning-rate axis."""
    import numpy as np

    out = image_path(path)
    plt = _pyplot()
    ts = np.arange(steps, dtype=np.int64)
    values = schedule.values(ts)
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    try:
        ax.plot(ts, values, color="C0", linewidth=1.5, label="learning rate")
        _mark_breakpoints(ax, [b for b in schedule.breakpoints() if 0 < b < steps])
        _finish_axes(ax, log, values)
        ax.set_title(_wrap(repr(schedule)), fontsize=9)
        fig.savefig(out, dpi=120, format=out.suffix[1:].lower())
    finally:
        plt.close(fig)
    return out


def plot_compare(report: Report, path: str | Path, *, log: bool = False) -> Path:
    """The overlay of a comparison: the reference and every backend's applied learning
    rate on top, each backend's signed float32 ulp deviation from the reference below.

    Backends that agree draw the same curve, so each gets its own line style and markers
    at its own offset (all stay visible), and the legends sit outside the axes, where they
    cover neither the data nor the bound lines."""
    import numpy as np

    from .combinators import PerEpoch
    from .config import from_config
    from .precision import flushed32 as _flushed32
    from .precision import ulps as ulp_distance

    out = image_path(path)
    plt = _pyplot()
    ts = np.arange(report.steps, dtype=np.int64)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 6.5), sharex=True, layout="constrained", gridspec_kw={"height_ratios": [3, 2]}
    )
    try:
        top.plot(ts, report.reference, color="0.2", linewidth=3.5, alpha=0.35, label="reference (float64)")
        ran = [r for r in report if r.applied is not None and len(r.applied) == report.steps]
        styles = ["-", "--", "-.", ":"]
        markers = ["o", "s", "^", "v", "D", "x", "+"]
        every = max(1, report.steps // 12)
        for i, result in enumerate(ran):
            style = {
                "color": f"C{i}",
                "linestyle": styles[i % len(styles)],
                "marker": markers[i % len(markers)],
                "markevery": (every * i // max(1, len(ran)), every),
                "markersize": 4,
                "fillstyle": "none",
            }
            top.plot(ts, result.applied, linewidth=1.0, label=result.backend, **style)
            sign = np.sign(_flushed32(result.applied).astype(np.float64) - _flushed32(report.reference))
            bottom.plot(
                ts,
                sign * ulp_distance(result.applied, report.reference),
                linewidth=0.8,
                label=f"{result.backend} (max {result.max_ulps})",
                **style,
            )
        bounds = sorted({r.ulps for r in ran if r.ulps} - {0})
        for bound in bounds:
            for y in (bound, -bound):
                bottom.axhline(
                    y,
                    color="0.3",
                    linewidth=0.8,
                    linestyle=":",
                    label=f"bound ±{bound} ulps" if y > 0 else None,
                )
        schedule = from_config(report.config)
        if report.steps_per_epoch:
            schedule = PerEpoch(schedule, report.steps_per_epoch)
        _mark_breakpoints(top, [b for b in schedule.breakpoints() if 0 < b < report.steps])
        _finish_axes(top, log, report.reference, legend=False)
        top.set_xlabel("")
        top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        top.set_title(_wrap(report.description or str(report.config)), fontsize=9)
        bottom.set_ylabel("applied - reference\n(float32 ulps)")
        bottom.set_xlabel("step (updates applied)")
        bottom.grid(True, alpha=0.3)
        if ran:
            bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        fig.savefig(out, dpi=120, format=out.suffix[1:].lower())
    finally:
        plt.close(fig)
    return out


def _mark_breakpoints(ax: Any, points: list[int]) -> None:
    if len(points) > MAX_MARKED:
        return
    for i, b in enumerate(points):
        ax.axvline(b, color="0.5", linewidth=0.8, linestyle="--", label="breakpoints" if i == 0 else None)


def image_path(path: str | Path) -> Path:
    """``path`` as a Path, checked to end in one of :data:`IMAGE_FORMATS` (``ValueError``)."""
    out = Path(path)
    if out.suffix.lower().lstrip(".") not in IMAGE_FORMATS:
        formats = ", ".join(f".{f}" for f in IMAGE_FORMATS)
        raise ValueError(f"{out}: expected an image file ending in {formats}")
    return out


def _finish_axes(ax: Any, log: bool, values: Any, *, legend: bool = True) -> None:
    import numpy as np

    ax.set_xlabel("step (updates applied)")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    if log and np.any(np.asarray(values) > 0):
        ax.set_yscale("log")  # zeros (warmup from 0) are left out of a log axis
    else:
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    if legend and len(ax.get_legend_handles_labels()[0]) > 1:
        ax.legend(fontsize=8)


def _wrap(text: str, width: int = 110) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:4])


def text_plot(values: Any, *, width: int = 64, height: int = 8, ascii: bool = False) -> list[str]:
    """A bar plot of ``values`` in ``height`` rows of ``width`` block characters (the
    largest value of each column's steps, so peaks and steps stay visible), with the
    value axis on the left and the step axis below. Zero is the baseline."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    n = v.size
    if n == 0:
        return []
    width = max(1, min(width, n))
    edges = (np.arange(width + 1) * n) // width
    columns = np.maximum.reduceat(v, edges[:-1])
    top = float(v.max())
    chars = _ASCII if ascii else _BLOCKS
    levels = (
        np.zeros(width, dtype=np.int64) if top <= 0 else np.rint(columns / top * height * 8).astype(np.int64)
    )
    # a positive value never vanishes entirely: at least the lowest mark
    levels = np.where((columns > 0) & (levels == 0), 1, levels)
    label_top, label_bottom = f"{top:.3g}", "0"
    pad = max(len(label_top), len(label_bottom))
    rows = []
    for r in range(height - 1, -1, -1):
        cells = np.clip(levels - r * 8, 0, 8)
        line = "".join(chars[c] for c in cells)
        label = label_top if r == height - 1 else label_bottom if r == 0 else ""
        rows.append(f"{label.rjust(pad)} |{line}".rstrip())
    rows.append(" " * pad + " +" + "-" * width)
    left, right = "0", f"{n - 1:,}"
    rows.append(" " * (pad + 2) + left + right.rjust(width - len(left)))
    return rows
