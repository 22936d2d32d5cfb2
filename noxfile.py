"""Test, lint and benchmark sessions: one per backend, one for the cross-backend suite.

Every session but ``oldest`` installs through ``constraints-lock.txt``: the exact versions
the README's figures come from (torch's CPU build included). ``oldest`` installs the lowest
versions ``pyproject.toml`` declares (``constraints-oldest.txt``); ``wheel`` tests what a
user installs: the built wheel, outside the source tree. Each backend session sets
``LRCORE_TEST_BACKENDS`` to the frameworks it installs, so a test that cannot import one of
them fails the session instead of skipping (tests/conftest.py).

Pythons: the core runs on every version the classifiers in ``pyproject.toml`` declare. On
the machines CI uses, torch 2.13.0 exists as a CPU wheel for Python 3.11 only (PyPI's Linux
wheels are the CUDA build), so every session that needs torch runs on 3.11; the JAX and
Keras sessions run on the newest declared Python, and ``oldest`` on the oldest. A missing
interpreter fails the run instead of skipping its sessions.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
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
    "integrations",
    "oldest",
    "wheel",
]

ROOT = Path(__file__).parent
PROJECT = (ROOT / "pyproject.toml").read_text()
PYTHONS = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PROJECT)
OLDEST, NEWEST = PYTHONS[0], PYTHONS[-1]
if f'requires-python = ">={OLDEST}"' not in PROJECT:  # what is declared is what is tested
    raise SystemExit(
        f"pyproject.toml: requires-python must be >={OLDEST}, the oldest Python its classifiers list"
    )
PYTHON = "3.11"  # torch's CPU wheel (see above), so the sessions that need torch
CONSTRAINTS = ("-c", "constraints-lock.txt")
PYTEST = ("pytest", "-p", "no:cacheprovider")
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}


def install(session: nox.Session, extras: str) -> None:
    session.install(*CONSTRAINTS, "--upgrade", "pip")
    session.install(*CONSTRAINTS, f".[{extras}]")


@nox.session(python=PYTHONS)
def core(session: nox.Session) -> None:
    """The schedule core, configs and CLI: NumPy only (plus matplotlib for plots)."""
    install(session, "test,plot")
    session.run(
        *PYTEST,
        "-m",
        "not (torch or optax or keras or conformance or distributed or integrations)",
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


@nox.session(python=[NEWEST])
def optax(session: nox.Session) -> None:
    """The optax adapter: float32 (JAX's default), then x64 in its own process."""
    install(session, "jax,test")
    env = {"LRCORE_TEST_BACKENDS": "jax,optax", **QUIET_TF}
    session.run(*PYTEST, "-m", "optax", *session.posargs, env=env)
    session.run(*PYTEST, "-m", "optax", *session.posargs, env={**env, "JAX_ENABLE_X64": "1"})


def _keras_session(backend: str, extras: str, python: str | list[str]) -> None:
    def run(session: nox.Session) -> None:
        install(session, extras)
        env = {"LRCORE_TEST_BACKENDS": f"keras,{backend}", "KERAS_BACKEND": backend, **QUIET_TF}
        session.run(*PYTEST, "-m", "keras", *session.posargs, env=env)

    run.__doc__ = f"The Keras adapter on the {backend} backend."  # before nox copies it
    nox.session(python=python, name=f"keras-{backend}")(run)


_keras_session("tensorflow", "keras,test", [NEWEST])
_keras_session("jax", "keras,jax,test", [NEWEST])
_keras_session("torch", "keras,torch,test", PYTHON)


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


@nox.session(python=OLDEST)
def oldest(session: nox.Session) -> None:
    """Lowest declared versions on the oldest Python: JAX, Keras and cross-backend tests.

    torch is not installed: its lowest declared version, 2.13.0, is the one the lock pins (the
    only CPU build CI's machines have, and for Python 3.11 only), so the torch, keras-torch and
    conformance sessions test it. Here the suite holds each of the other backends to the
    contract; its tests across all backends (agreement, report, random configs) need torch.
    """
    _check_lowest_pins(session)
    oldest = ("-c", "constraints-oldest.txt")
    session.install(*oldest, "--upgrade", "pip")
    session.install(*oldest, ".[jax,keras,test]")
    report = Path(session.create_tmp()).resolve() / "conformance"  # the README's report stays the lock's
    env = {
        "LRCORE_TEST_BACKENDS": "jax,optax,keras,tensorflow",
        "LRCORE_CONFORMANCE_REPORT": str(report / "report.txt"),
        **QUIET_TF,
    }
    session.run(*PYTEST, "-m", "optax", "tests/adapters", *session.posargs, env=env)
    for backend in ("tensorflow", "jax"):
        keras_env = {**env, "KERAS_BACKEND": backend}
        session.run(*PYTEST, "-m", "keras", "tests/adapters", *session.posargs, env=keras_env)
    # Selected by name: a rename selects nothing, and pytest's exit status 5 fails the session.
    contract = "every_case_meets_the_contract and not torch"
    session.run(*PYTEST, "-m", "conformance", "-k", contract, *session.posargs, env=env)


def _check_lowest_pins(session: nox.Session) -> None:
    """pyproject.toml's lower bounds are what this session tests: each equals its pin in
    constraints-oldest.txt (torch's, the lock's CPU build)."""
    from packaging.version import Version

    def pins(name: str) -> dict[str, Version]:
        lines = (ROOT / name).read_text().splitlines()
        found = (re.match(r"([A-Za-z0-9_.-]+)==([^;\s]+)", line) for line in lines)
        return {m[1].lower().replace("_", "-"): Version(Version(m[2]).public) for m in found if m}

    project = (ROOT / "pyproject.toml").read_text().split("[project]")[1].split("[project.scripts]")[0]
    declared = {
        name.lower(): Version(low) for name, low in re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)', project)
    }
    lowest = {**pins("constraints-oldest.txt"), "torch": pins("constraints-lock.txt")["torch"]}
    wrong = {
        name: f"declared >={low}, tested {lowest.get(name)}"
        for name, low in declared.items()
        if name not in ("matplotlib", "pytest", "hypothesis") and lowest.get(name) != low
    }
    if wrong:
        session.error(f"pyproject.toml's lower bounds are not the tested ones: {wrong}")


@nox.session(python=PYTHON, reuse_venv=False)
def wheel(session: nox.Session) -> None:
    """What a user installs: the wheel (built from the sdist) runs ``lrcore compare``.

    Checks that the sdist and the wheel hold every file under src/, installs the wheel (not
    editable) with every framework into a fresh environment and runs the README's main job
    from a folder outside the source tree."""
    session.install(*CONSTRAINTS, "build")
    tmp = Path(session.create_tmp()).resolve()
    dist, venv = tmp / "dist", tmp / "venv"
    for folder in (dist, venv):
        shutil.rmtree(folder, ignore_errors=True)
    # python -m build builds the wheel from the unpacked sdist: a file the sdist lacks fails here
    session.run("python", "-m", "build", "--outdir", str(dist))
    (sdist,) = dist.glob("lrcore-*.tar.gz")
    (built,) = dist.glob("lrcore-*.whl")

    # Every file under src/ (modules, py.typed, the bundled examples) must reach the sdist and,
    # mapped as pyproject.toml's package-dir says, the wheel.
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "src").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    installed = {
        name.replace("src/adapters/", "lrcore/adapters/", 1).replace("src/lrcore/", "lrcore/", 1)
        for name in sources
    }
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as archive:
        missing = {"pyproject.toml", "README.md", *sources} - {
            name.removeprefix(f"{top}/") for name in archive.getnames()
        }
    if missing:
        session.error(f"the sdist lacks {sorted(missing)}")
    with zipfile.ZipFile(built) as archive:
        missing = installed - set(archive.namelist())
    if missing:
        session.error(f"the wheel lacks {sorted(missing)}: list their packages in pyproject.toml")
    session.log(f"{sdist.name} and {built.name} hold all {len(sources)} files under src/")

    session.run("python", "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    lock = str(ROOT / "constraints-lock.txt")
    session.run(python, "-m", "pip", "install", "--quiet", "-c", lock, f"{built}[all]", external=True)
    run_folder = Path(tempfile.mkdtemp(prefix="lrcore-wheel-"))
    (run_folder / "lrcore").mkdir()  # as in a clone's parent folder, which must not shadow the package
    try:
        with session.chdir(run_folder):
            installed_here = (
                f"import lrcore; print(lrcore.__file__); assert lrcore.__file__.startswith({str(venv)!r})"
            )
            session.run(python, "-I", "-c", installed_here, external=True)
            session.run(str(venv / "bin" / "lrcore"), "compare", external=True, env=QUIET_TF)
    finally:
        shutil.rmtree(run_folder, ignore_errors=True)


@nox.session(python=PYTHON)
def integrations(session: nox.Session) -> None:
    """Where users train: Lightning, the Hugging Face Trainer and accelerate, Flax NNX and
    linen, Keras fit (on torch), OmegaConf and Hydra; plus the examples/ scripts."""
    install(session, "torch,jax,test")
    session.install(
        *CONSTRAINTS, "keras", "lightning", "transformers", "accelerate", "flax", "hydra-core", "omegaconf"
    )
    # torchvision does not load against the CPU torch build, and Lightning imports it when it is
    # installed: none of these packages needs it, so its presence means a dependency pulled it in.
    session.run(
        "python", "-c", "import importlib.util as u, sys; sys.exit(u.find_spec('torchvision') is not None)"
    )
    required = "torch,jax,optax,keras,lightning,transformers,accelerate,flax,hydra,omegaconf"
    env = {"LRCORE_TEST_BACKENDS": required, "KERAS_BACKEND": "torch", **QUIET_TF}
    session.run(*PYTEST, "-m", "integrations", "tests/integrations", *session.posargs, env=env)


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
