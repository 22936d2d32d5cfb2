"""The ``lrcore`` command: look at a schedule, plot it, export it, and check that every
framework applies the same learning rates. It parses argv and prints; the work is in
:mod:`lrcore.config_args` (CONFIG and ``--set``), :mod:`lrcore.compare`, :mod:`lrcore.plot`
and :mod:`lrcore.backends`.

    lrcore compare                              # the bundled warmup-cosine, every installed framework
    lrcore show warmup-cosine                   # description, key values, a text plot
    lrcore plot schedule.yaml -o lr.png --log   # a matplotlib figure with the breakpoints
    lrcore export schedule.toml --steps 1000 --format csv
    lrcore show warmup-5pct-cosine-90ep --total-steps 95000 --steps-per-epoch 1000   # bind durations

CONFIG is a .json/.yaml/.yml/.toml file, a bundled example name (``lrcore examples``),
inline JSON, or built from ``--set key=value`` pairs (applied on top of CONFIG when both
are given); without any, every command uses the bundled ``warmup-cosine``. A CONFIG with
durations (``"10ep"``, ``"5%"``) is bound by ``--total-steps`` and ``--steps-per-epoch``
(the rule is :func:`lrcore.config_args.for_run`). The exit codes are :data:`EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from ._errors import ConfigError
from .config_args import (
    DEFAULT_EXAMPLE,
    EXAMPLES,
    EXAMPLES_DIR,
    UsageError,
    default_steps,
    example_path,
    for_run,
    resolve,
)

if TYPE_CHECKING:
    from .compare import BackendResult, Report

__all__ = ["EXAMPLES", "EXAMPLES_DIR", "EXIT_CODES", "UsageError", "build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MISSING, EXIT_NOTHING, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = {
    EXIT_OK: "success (compare: every backend that ran kept its bound)",
    EXIT_FAILED: "a backend broke its bound or its runner failed; a plot that was asked for could not be written",
    EXIT_USAGE: "a bad config or option",
    EXIT_MISSING: "a backend named with --backends is not installed",
    EXIT_NOTHING: "nothing was compared: no framework of the chosen backends is installed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); the runner processes are stopped",
}
COMPARE_DEFAULT_CAP = 10_000  # default --steps of compare when a schedule never settles


RUN_FLAGS = ("--total-steps N", "--steps-per-epoch K")


def _run(args: argparse.Namespace) -> tuple[Any, int | None]:
    """The schedule of CONFIG and ``--set`` (the bundled default, said on stderr, without),
    bound by ``--total-steps`` / ``--steps-per-epoch`` where it has durations, and the epoch
    length to step it by where it has none (see :func:`lrcore.config_args.for_run`)."""
    if args.config is None and not args.set:
        print(
            f"lrcore {args.command}: no CONFIG given, using the bundled example {DEFAULT_EXAMPLE!r} "
            f"(see: lrcore show {DEFAULT_EXAMPLE})",
            file=sys.stderr,
        )
    schedule = resolve(args.config, args.set)[0]
    try:
        return for_run(schedule, args.total_steps, args.steps_per_epoch, names=RUN_FLAGS)
    except ConfigError:
        raise
    except ValueError as error:  # a per_epoch schedule stepped once per epoch again
        raise UsageError(f"--steps-per-epoch {args.steps_per_epoch}: {error}") from None


def _schedule(args: argparse.Namespace) -> Any:
    """What show, plot and export look at: :func:`_run`'s schedule, stepped once per epoch
    (``per_epoch(schedule, K)``) where the rule says so."""
    from .combinators import PerEpoch

    schedule, per_epoch = _run(args)
    return PerEpoch(schedule, per_epoch) if per_epoch else schedule


# -- show --------------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    import numpy as np

    from .plot import text_plot

    schedule = _schedule(args)
    steps = args.steps or default_steps(schedule)
    values = schedule.values(np.arange(steps, dtype=np.int64))
    peak = int(np.argmax(values))
    out = [repr(schedule), ""]
    horizon = schedule.horizon
    settles = (
        f"holds {schedule(horizon):.6g} from step {horizon:,}" if horizon is not None else "never settles"
    )
    rows = [
        ("config", json.dumps(schedule.to_config(), separators=(",", ":"))),
        ("steps", f"{steps:,} shown ({settles})"),
        ("start", f"{values[0]:.6g} at step 0"),
        ("peak", f"{values[peak]:.6g} at step {peak:,}"),
        ("end", f"{values[-1]:.6g} at step {steps - 1:,}"),
        ("breakpoints", _list_steps(schedule.breakpoints())),
    ]
    out += [f"  {name:<12} {text}" for name, text in rows]
    columns = shutil.get_terminal_size((80, 24)).columns
    ascii = not _can_encode(sys.stdout, "▁█")
    out += [
        "",
        *("  " + line for line in text_plot(values, width=max(20, min(72, columns - 16)), ascii=ascii)),
    ]
    print("\n".join(out))
    return EXIT_OK


def _list_steps(points: list[int], limit: int = 12) -> str:
    if not points:
        return "none"
    shown = ", ".join(f"{p:,}" for p in points[:limit])
    return shown + (f", ... ({len(points) - limit} more)" if len(points) > limit else "")


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# -- plot ----------------------------------------------------------------------------------------


def cmd_plot(args: argparse.Namespace) -> int:
    from .plot import plot_schedule

    schedule = _schedule(args)
    steps = args.steps or default_steps(schedule)
    out = plot_schedule(schedule, steps, _image(args.output), log=args.log)
    print(f"wrote {out} ({steps:,} steps)")
    return EXIT_OK


# -- export ----------------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    import numpy as np

    schedule = _schedule(args)
    steps = args.steps or default_steps(schedule)
    fmt = args.format or ("json" if args.output and args.output.lower().endswith(".json") else "csv")
    values = schedule.values(np.arange(steps, dtype=np.int64)).tolist()
    if fmt == "csv":
        # repr() is the shortest text that reads back as the same float64
        text = "step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in enumerate(values))
    else:
        data = {"config": schedule.to_config(), "steps": steps, "step": list(range(steps)), "lr": values}
        text = json.dumps(data) + "\n"
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({steps:,} steps, {fmt})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# -- compare -------------------------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    from .backends import BACKENDS, resolve_backends
    from .combinators import PerEpoch
    from .compare import compare

    schedule, per_epoch = _run(args)
    try:
        backends = resolve_backends(args.backends)
    except ValueError as error:
        raise UsageError(f"--backends: {error}") from None
    steps = args.steps
    if steps is None:
        steps = default_steps(PerEpoch(schedule, per_epoch) if per_epoch else schedule)
        if schedule.horizon is None:
            steps = min(steps, COMPARE_DEFAULT_CAP)
    if args.output and not args.no_plot:
        _image(args.output)  # a bad file name is better said before minutes of training
    table_stream = sys.stderr if args.json == "-" else sys.stdout
    jobs = max(1, min(args.jobs, len(backends)))
    print(
        f"lrcore compare: {len(backends)} backend{'s' * (len(backends) > 1)}, {steps:,} steps, "
        f"{jobs} at a time",
        file=sys.stderr,
    )
    progress = _Progress(sys.stderr)
    try:
        report = compare(
            schedule,
            steps,
            [b.name for b in backends],
            per_epoch,
            progress,
            jobs=jobs,
            timeout=args.timeout,
        )
    except ConfigError:
        raise
    except ValueError as error:  # arguments that contradict the schedule
        raise UsageError(f"--steps-per-epoch {args.steps_per_epoch}: {error}") from None
    finally:
        progress.close()
    print(file=sys.stderr)
    print(report.format_table(), file=table_stream)

    status = EXIT_FAILED if report.failures else EXIT_OK
    missing = report.missing
    if missing:
        hints = sorted({BACKENDS[name].install_hint for name in missing if name in BACKENDS})
        if args.backends is not None:
            print(
                f"\nerror: requested backend{'s' * (len(missing) > 1)} not installed: {', '.join(missing)} "
                f"({'; '.join(hints)})",
                file=sys.stderr,
            )
            status = status or EXIT_MISSING
        else:
            print(f"\nskipped (not installed): {', '.join(missing)} ({'; '.join(hints)})", file=table_stream)
    if not report.compared:
        # a gate that checked nothing must not pass
        print(
            "error: nothing was compared: no framework of the chosen backends is installed "
            "(pip install '.[all]' in lrcore's source tree, or '<wheel file>[all]')",
            file=sys.stderr,
        )
        status = EXIT_NOTHING
    ran = [r for r in report if r.applied is not None]
    if not args.no_plot and ran:
        status = _compare_plot(report, args) or status
    if args.json:
        text = report.to_json() + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            Path(args.json).write_text(text, encoding="utf-8")
            print(f"wrote {args.json}", file=table_stream)
    if status == EXIT_OK and ran:
        kept = (
            f"{ran[0].backend} kept its bound"
            if len(ran) == 1
            else f"all {len(ran)} backends kept their bounds"
        )
        print(f"\n{kept}", file=table_stream)
    return status


def _image(path: str) -> Path:
    from .plot import image_path

    try:
        return image_path(path)
    except ValueError as error:
        raise UsageError(f"-o {error}") from None


def _compare_plot(report: Report, args: argparse.Namespace) -> int:
    from .plot import MissingMatplotlib, plot_compare

    stream = sys.stderr if args.json == "-" else sys.stdout
    try:
        out = plot_compare(report, _image(args.output or "lrcore-compare.png"), log=args.log)
    except MissingMatplotlib as error:
        if args.output:  # a plot was asked for by name: not having it is a failure
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
        print(f"(no overlay plot: {error})", file=stream)
        return EXIT_OK
    print(f"wrote {out}", file=stream)
    return EXIT_OK


class _Progress:
    """Progress of the backends on stderr: a line per finished backend, and on a terminal
    a live status line of those still running."""

    SPIN = "|/-\\"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticks = 0
        self.thread = threading.Thread(target=self._tick, daemon=True) if self.live else None
        if self.thread is not None:
            self.thread.start()

    def __call__(self, name: str, state: str, result: Any) -> None:
        with self.lock:
            self._clear()
            if state == "running":
                self.running[name] = time.monotonic()
                if not self.live:
                    self._line(f"  {name:<17} running")
            else:
                began = self.running.pop(name, None)
                took = f" ({time.monotonic() - began:.1f}s)" if began is not None else ""
                self._line(f"  {name:<17} {_summary(result)}{took}")
            self._status()

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.live:
            self.stream.write("\r\033[K")

    def _status(self) -> None:
        if self.live and self.running:
            now = time.monotonic()
            names = ", ".join(f"{n} {now - t:.0f}s" for n, t in self.running.items())
            self.stream.write(f"  {self.SPIN[self.ticks % 4]} running: {names}")
            self.stream.flush()

    def _tick(self) -> None:
        while not self.stop.wait(0.25):
            with self.lock:
                self.ticks += 1
                self._clear()
                self._status()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            self._clear()
            self.stream.flush()


def _summary(result: BackendResult) -> str:
    if result.status == "ok":
        return f"ok, max {result.max_ulps} ulps"
    if result.status == "mismatch":
        if result.first_violation is not None:
            return f"MISMATCH from step {result.first_violation}"
        if result.witness_violation is not None:
            return f"MISMATCH: the update differs from the recorded rate from step {result.witness_violation}"
        return "MISMATCH"
    return str(result.status)


# -- examples ---------------------------------------------------------------------------------------


def cmd_examples(args: argparse.Namespace) -> int:
    width = max(map(len, EXAMPLES))
    for name, text in EXAMPLES.items():
        path = example_path(name)
        suffix = path.suffix if path else "?"
        print(f"  {name:<{width}}  {suffix:<5}  {text}")
    print(f"\n(files in {EXAMPLES_DIR}; show one with: lrcore show NAME)")
    return EXIT_OK


# -- the parser -------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config",
        nargs="?",
        metavar="CONFIG",
        help="a .json/.yaml/.yml/.toml file, an example name (lrcore examples) or inline JSON "
        f"(default: {DEFAULT_EXAMPLE})",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        help="set a config field (JSON values; dotted keys for nested fields), "
        "e.g. --set type=cosine --set start=0.1 --set end=0 --set steps=1000",
    )


def _add_binding(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--total-steps",
        type=_positive,
        metavar="N",
        help="the run's length in updates: binds CONFIG's fractions of the run ('5%%', '0.05dur')",
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=_positive,
        metavar="K",
        help="updates per epoch. A CONFIG with durations ('10ep', '5%%') is bound ('10ep' is 10*K "
        "updates) and stepped every update; a CONFIG of integer steps only is stepped once per "
        "epoch of K updates instead (per_epoch(schedule, K))",
    )


def _exit_codes() -> str:
    return "exit status:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())


def build_parser() -> argparse.ArgumentParser:
    from .backends import describe, groups
    from .plot import IMAGE_FORMATS

    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="lrcore",
        description="One learning-rate schedule, the same numbers in PyTorch, JAX/optax and Keras.",
        epilog="Start with: lrcore compare   (the bundled warmup-cosine in every installed framework)\n\n"
        + _exit_codes(),
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"lrcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    show = sub.add_parser("show", help="describe a schedule: key values, breakpoints and a text plot")
    _add_config(show)
    _add_binding(show)
    show.add_argument("--steps", type=_positive, help="steps to look at (default: a little past the horizon)")
    show.set_defaults(func=cmd_show)

    images = ", ".join(f".{f}" for f in IMAGE_FORMATS)
    plot = sub.add_parser("plot", help="plot a schedule with matplotlib (lrcore's plot extra)")
    _add_config(plot)
    _add_binding(plot)
    plot.add_argument("--steps", type=_positive, help="steps to plot (default: a little past the horizon)")
    plot.add_argument(
        "-o",
        "--output",
        default="lrcore-plot.png",
        metavar="FILE",
        help=f"image file; its suffix picks the format: {images} (default: lrcore-plot.png)",
    )
    plot.add_argument("--log", action="store_true", help="logarithmic learning-rate axis")
    plot.set_defaults(func=cmd_plot)

    table = "\n".join("  " + line for line in describe())
    comp = sub.add_parser(
        "compare",
        help="run the schedule in each framework and compare the applied learning rates",
        description=textwrap.fill(
            "Train a tiny model with the schedule in each framework (one process per backend) "
            "and compare the learning rate every update applied with lrcore's float64 reference.",
            79,
        )
        + "\n\nbackends (name, evaluation, bound, extra):\n"
        + table
        + "\n"
        "(float32-only backends compute in double-float: 1 ulp only where the reference lies within "
        "2**-44 of a float32 midpoint, a near tie, counted in the table)",
        epilog=_exit_codes(),
        formatter_class=raw,
    )
    _add_config(comp)
    comp.add_argument(
        "--steps",
        type=_positive,
        help="updates to run (default: a little past the horizon; 10,500 for the default example)",
    )
    named = ", ".join(f"'{g}' ({', '.join(m)})" if g != "all" else "'all'" for g, m in groups().items())
    comp.add_argument(
        "--backends",
        metavar="LIST",
        help="comma-separated backend names (above) or groups: "
        + named
        + "; default: those not marked 'on request' (missing ones are skipped)",
    )
    _add_binding(comp)
    comp.add_argument("--json", metavar="FILE", help="write the report as JSON ('-' for stdout)")
    comp.add_argument(
        "-o", "--output", metavar="FILE", help=f"overlay plot file, {images} (default: lrcore-compare.png)"
    )
    comp.add_argument("--no-plot", action="store_true", help="do not write the overlay plot")
    comp.add_argument("--log", action="store_true", help="logarithmic learning-rate axis in the plot")
    comp.add_argument("--jobs", type=_positive, default=2, help="backends run at once (default: 2)")
    comp.add_argument(
        "--timeout",
        type=_seconds,
        default=900.0,
        metavar="SECONDS",
        help="time limit per backend, > 0 (default: 900)",
    )
    comp.set_defaults(func=cmd_compare)

    export = sub.add_parser("export", help="write the curve as data: step,lr (CSV) or JSON")
    _add_config(export)
    _add_binding(export)
    export.add_argument(
        "--steps", type=_positive, help="steps to export (default: a little past the horizon)"
    )
    export.add_argument("--format", choices=("csv", "json"), help="default: from the -o suffix, else csv")
    export.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    export.set_defaults(func=cmd_export)

    examples = sub.add_parser("examples", help="list the bundled example configs")
    examples.set_defaults(func=cmd_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``lrcore`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return func(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `lrcore export ... | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return EXIT_OK
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:
        from .plot import MissingMatplotlib

        if isinstance(error, MissingMatplotlib):
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
        raise
