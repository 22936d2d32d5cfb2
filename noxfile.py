"""Test, lint and benchmark sessions: one per backend, one for the cross-backend suite.

Every install goes through ``constraints.txt`` (it pins the CPU build of torch). Each
backend session sets ``LRCORE_TEST_BACKENDS`` to the frameworks it installs, so a test
that cannot import one of them fails the session instead of skipping (tests/conftest.py).
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    "lint",
    "core",
    "torch",
    "optax",
    "keras-tensorflow",
    "keras-jax",
    "keras-torch",
    "conformance",
    "distributed",
]

PYTHON = "3.11"
CONSTRAINTS = ("-c", "constraints.txt")
PYTEST = ("pytest", "-p", "no:cacheprovider")
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}


def install(session: nox.Session, extras: str) -> None:
    session.install(*CONSTRAINTS, "--upgrade", "pip")
    session.install(*CONSTRAINTS, f".[{extras}]")


@nox.session(python=PYTHON)
def core(session: nox.Session) -> None:
    """The schedule core, configs and CLI: NumPy only (plus matplotlib for plots)."""
    install(session, "test,plot")
    session.run(
        *PYTEST,
        "-m",
        "not (torch or optax or keras or conformance or distributed)",
        *session.posargs,
        env={"LRCORE_TEST_BACKENDS": "", **QUIET_TF},
    )


@nox.session(python=PYTHON)
def torch(session: nox.Session) -> None:
    """The torch adapter, and torch-side parity tests (transformers' schedulers included)."""
    install(session, "torch,test")
    session.install(*CONSTRAINTS, "transformers")
    # timm.scheduler needs only torch; timm's torchvision dependency does not load against the
    # CPU torch build, and timm's top-level import needs it (the test loads timm.scheduler alone).
    session.install(*CONSTRAINTS, "--no-deps", "timm")
    # deepspeed.runtime.lr_schedules on the CPU: no compiled ops, only the modules its import needs.
    session.install(*CONSTRAINTS, "psutil", "hjson", "einops", "msgpack", "pydantic")
    session.install(*CONSTRAINTS, "--no-deps", "deepspeed", env={"DS_BUILD_OPS": "0"})
    env = {"LRCORE_TEST_BACKENDS": "torch,transformers,timm,deepspeed", **QUIET_TF}
    session.run(*PYTEST, "-m", "torch", *session.posargs, env=env)


@nox.session(python=PYTHON)
def optax(session: nox.Session) -> None:
    """The optax adapter: float32 (JAX's default), then x64 in its own process."""
    install(session, "jax,test")
    env = {"LRCORE_TEST_BACKENDS": "jax,optax", **QUIET_TF}
    session.run(*PYTEST, "-m", "optax", *session.posargs, env=env)
    session.run(*PYTEST, "-m", "optax", *session.posargs, env={**env, "JAX_ENABLE_X64": "1"})


def _keras_session(backend: str, extras: str) -> None:
    @nox.session(python=PYTHON, name=f"keras-{backend}")
    def run(session: nox.Session) -> None:
        install(session, extras)
        env = {"LRCORE_TEST_BACKENDS": f"keras,{backend}", "KERAS_BACKEND": backend, **QUIET_TF}
        session.run(*PYTEST, "-m", "keras", *session.posargs, env=env)

    run.__doc__ = f"The Keras adapter on the {backend} backend."


_keras_session("tensorflow", "keras,test")
_keras_session("jax", "keras,jax,test")
_keras_session("torch", "keras,torch,test")


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """Every framework at once: identical applied learning rates, and the report."""
    install(session, "all,test")
    env = {"LRCORE_TEST_BACKENDS": "torch,jax,optax,keras,tensorflow", **QUIET_TF}
    session.run(*PYTEST, "-m", "conformance", *session.posargs, env=env)


@nox.session(python=PYTHON)
def distributed(session: nox.Session) -> None:
    """Multi-process torch DDP, multi-device JAX and Keras data parallelism on the CPU."""
    install(session, "all,test")
    env = {"LRCORE_TEST_BACKENDS": "torch,jax,optax,keras,tensorflow", **QUIET_TF}
    session.run(*PYTEST, "-m", "distributed", *session.posargs, env=env)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict on the core and the adapters.

    torch is installed for its types (the torch adapter subclasses its schedulers); the other
    frameworks ship none worth the install and read as Any (pyproject.toml's [tool.mypy])."""
    session.install(*CONSTRAINTS, "ruff", "mypy", "types-PyYAML", "numpy", "torch")
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """lrcore against the native schedulers, side by side; writes bench/results/latest.json."""
    install(session, "all")
    session.run("python", "bench/run.py", *session.posargs, env=QUIET_TF)
