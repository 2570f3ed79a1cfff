"""Where namuweb keeps its data and how large an upload may be.

The upload limit is read from the same ``.streamlit/config.toml`` that
Streamlit uses for ``server.maxUploadSize``, so the widget in the app and the
check in the library cannot drift apart.  Environment variables override both
for deployments and tests.  It also holds the one check that turns an id from
outside (URL, selectbox, CLI) into a folder path, and the demo-mode settings.
No Streamlit import: this is backend code.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "NAMUWEB_HOME"
MAX_UPLOAD_ENV = "NAMUWEB_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 200
MB = 1024 * 1024  # Streamlit multiplies server.maxUploadSize by 1024 * 1024 too.

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PRIVATE_DIR = 0o700   # what the data directory and every folder in it are created as
PRIVATE_FILE = 0o600  # and every file
STREAMLIT_CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"


def data_home() -> Path:
    """The data directory (created on demand): ``$NAMUWEB_HOME`` or ``./namuweb-data``.

    It is kept to its owner (0700): the corpora, runs and embeddings in it are whatever this user
    fed the app, and other users of the machine have no business reading them.  A directory found
    open to others is closed when this user owns it."""
    configured = os.environ.get(HOME_ENV)
    home = Path(configured).expanduser() if configured else Path.cwd() / "namuweb-data"
    home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    try:
        found = home.stat()
        if found.st_mode & 0o077 and found.st_uid == os.geteuid():
            home.chmod(PRIVATE_DIR)
    except OSError:  # a read-only mount: its files cannot be made private now, nor written
        pass
    return home.resolve()


def keep_files_private() -> None:
    """Make every file and folder this process creates from now on owner-only (umask 077).

    Called first thing by each process namuweb starts -- the server (``serve.py``), the command line
    and the job workers (the taggers' and projections' workers inherit the server's) -- because
    not every file is namuweb's own code's to open: Keras writes the checkpoints, TensorFlow the
    event files.  namuweb's own writes also ask for owner-only modes, so the library stays private
    when it runs inside another program (a test runner, a notebook) that keeps its own umask."""
    previous = os.umask(0o077)
    if previous & ~0o077:  # a stricter umask stays as strict
        os.umask(previous | 0o077)


def _streamlit_max_upload_mb() -> int:
    """``server.maxUploadSize`` from the project's Streamlit config, or the default."""
    try:
        with STREAMLIT_CONFIG.open("rb") as f:
            value = tomllib.load(f)["server"]["maxUploadSize"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return DEFAULT_MAX_UPLOAD_MB
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_UPLOAD_MB


def max_upload_bytes() -> int:
    """The largest upload accepted, in bytes (``$NAMUWEB_MAX_UPLOAD_MB`` wins; demo mode may lower it)."""
    configured = os.environ.get(MAX_UPLOAD_ENV)
    if configured:
        try:
            megabytes = int(configured)
        except ValueError:
            raise ValueError(f"{MAX_UPLOAD_ENV} must be a whole number of megabytes, got {configured!r}") from None
        if megabytes <= 0:
            raise ValueError(f"{MAX_UPLOAD_ENV} must be positive, got {configured!r}")
    else:
        megabytes = _streamlit_max_upload_mb()
    demo = demo_settings()
    if demo and demo.uploads_allowed:
        return min(megabytes * MB, demo.max_corpus_bytes)
    return megabytes * MB


# --- ids that name folders ------------------------------------------------------

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class UnsafeId(ValueError):
    """An id that is not a plain folder name (``../x``, ``a/b``, empty, …); one line for the user."""


def checked_id(ref: object, what: str = "id") -> str:
    """``ref`` if it can only name one folder: letters, digits, ``.``, ``_`` and ``-``, not
    starting with a dot (so never ``..``), no separator, at most 128 characters."""
    if not isinstance(ref, str) or not _SAFE_ID.fullmatch(ref):
        raise UnsafeId(f"{what} {ref!r} is not a valid id (letters, digits, '.', '_' and '-' only)")
    return ref


def child_path(parent: Path, ref: object, what: str = "id") -> Path:
    """The folder ``parent/ref`` for an id that came from outside (a URL, a selectbox, the CLI).

    The id must be a plain name (:func:`checked_id`), and the path must still lie directly in
    ``parent`` once symlinks are resolved, so no id reaches outside the data directory.
    """
    name = checked_id(ref, what)
    base = Path(parent).resolve()
    path = (base / name).resolve()
    if path.parent != base:
        raise UnsafeId(f"{what} {ref!r} points outside {base}")
    return path


# --- demo mode ------------------------------------------------------------------

DEMO_ENV = "NAMUWEB_DEMO"
DEMO_MAX_STEPS_ENV = "NAMUWEB_DEMO_MAX_STEPS"
DEMO_MAX_CORPUS_MB_ENV = "NAMUWEB_DEMO_MAX_CORPUS_MB"
DEMO_MAX_JOB_SECONDS_ENV = "NAMUWEB_DEMO_MAX_JOB_SECONDS"
DEMO_MAX_JOBS_ENV = "NAMUWEB_DEMO_MAX_JOBS"
DEMO_MAX_JOBS_PER_SESSION_ENV = "NAMUWEB_DEMO_MAX_JOBS_PER_SESSION"
DEMO_MAX_DOWNLOAD_MB_ENV = "NAMUWEB_DEMO_MAX_DOWNLOAD_MB"
DEFAULT_DEMO_MAX_STEPS = 400  # for step budgets; the quick demo's own budget is time (within the job limit)
DEFAULT_DEMO_MAX_CORPUS_MB = 1.0
DEFAULT_DEMO_MAX_JOB_SECONDS = 600.0
DEFAULT_DEMO_MAX_JOBS = 2  # background jobs of all kinds at once, for the whole server: two cores
DEFAULT_DEMO_MAX_JOBS_PER_SESSION = 1
DEFAULT_DEMO_MAX_DOWNLOAD_MB = 25.0  # a catalogue text a demo fetches: the movie reviews (20 MB) fit, a dump does not
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class DemoModeError(ValueError):
    """An action a public demo does not allow; one line for the user."""


@dataclass(frozen=True)
class DemoSettings:
    """What ``NAMUWEB_DEMO`` and its limits allow.  Falsy when demo mode is off."""

    enabled: bool = False
    max_steps: int = DEFAULT_DEMO_MAX_STEPS          # per training run; 0 turns training off
    max_corpus_bytes: int = int(DEFAULT_DEMO_MAX_CORPUS_MB * MB)  # per upload; 0 turns uploads off
    max_job_seconds: float = DEFAULT_DEMO_MAX_JOB_SECONDS  # any background job stops after this
    max_jobs: int = DEFAULT_DEMO_MAX_JOBS  # active jobs of every kind together
    max_jobs_per_session: int = DEFAULT_DEMO_MAX_JOBS_PER_SESSION  # active or waiting jobs of one visitor (a browser: its cookie)
    max_download_bytes: int = int(DEFAULT_DEMO_MAX_DOWNLOAD_MB * MB)  # a catalogue download; other URLs are off

    def __bool__(self) -> bool:
        return self.enabled

    @property
    def training_allowed(self) -> bool:
        return not self.enabled or self.max_steps > 0

    @property
    def uploads_allowed(self) -> bool:
        return not self.enabled or self.max_corpus_bytes > 0

    def notice(self) -> str:
        """One line for the pages: what is open and what is limited."""
        training = (f"training is limited to {self.max_steps:,} steps per run"
                    if self.training_allowed else "training is off")
        uploads = (f"uploads to {_size(self.max_corpus_bytes)}" if self.uploads_allowed else "uploads are off")
        jobs = (f"at most {self.max_jobs} background job{'s' if self.max_jobs > 1 else ''} run at once "
                f"({self.max_jobs_per_session} per visitor) and each stops after {self.max_job_seconds:g} s")
        return (f"Public demo: generation and exploration are open; {training}, {uploads}, catalogue "
                f"texts up to {_size(self.max_download_bytes)}, {jobs}, and renaming and deleting are off.")


def _size(size: int) -> str:
    """``1 MB``, ``0.5 MB``, ``10.2 kB``: three significant digits, kB below a tenth of a MB."""
    return f"{size / MB:.3g} MB" if size >= MB / 10 else f"{size / 1024:.3g} kB"


def positive_number(name: str, default: float) -> float:
    """A positive limit from the environment (seconds, bytes a second): ``default`` when unset; anything
    that is not a positive, finite number is a ValueError naming the variable, never a silent default."""
    configured = os.environ.get(name, "").strip()
    if not configured:
        return default
    try:
        value = float(configured)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {configured!r}") from None
    if not 0 < value < float("inf"):  # also refuses nan
        raise ValueError(f"{name} must be positive, got {configured!r}")
    return value


def _demo_number(name: str, default: float, *, minimum: float, whole: bool) -> float:
    configured = os.environ.get(name)
    if configured is None or not configured.strip():
        return default
    try:
        value = int(configured) if whole else float(configured)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind}, got {configured!r}") from None
    if not minimum <= value < float("inf"):  # also refuses nan and inf
        raise ValueError(f"{name} must be at least {minimum:g}, got {configured!r}")
    return value


def demo_settings() -> DemoSettings:
    """Demo mode from the environment (read on each call, so tests and restarts see changes).

    A value of ``NAMUWEB_DEMO`` that is neither on nor off is an error rather than a guess:
    a public server must not silently run without its limits.
    """
    switch = os.environ.get(DEMO_ENV, "").strip().lower()
    if switch in _FALSE:
        return DemoSettings()
    if switch not in _TRUE:
        raise ValueError(f"{DEMO_ENV} must be 1/true/yes/on or 0/false/no/off, got {os.environ[DEMO_ENV]!r}")
    megabytes = _demo_number(DEMO_MAX_CORPUS_MB_ENV, DEFAULT_DEMO_MAX_CORPUS_MB, minimum=0, whole=False)
    return DemoSettings(
        enabled=True,
        max_steps=int(_demo_number(DEMO_MAX_STEPS_ENV, DEFAULT_DEMO_MAX_STEPS, minimum=0, whole=True)),
        max_corpus_bytes=int(megabytes * MB),
        max_job_seconds=_demo_number(DEMO_MAX_JOB_SECONDS_ENV, DEFAULT_DEMO_MAX_JOB_SECONDS, minimum=0.1,
                                     whole=False),
        max_jobs=int(_demo_number(DEMO_MAX_JOBS_ENV, DEFAULT_DEMO_MAX_JOBS, minimum=1, whole=True)),
        max_jobs_per_session=int(_demo_number(DEMO_MAX_JOBS_PER_SESSION_ENV, DEFAULT_DEMO_MAX_JOBS_PER_SESSION,
                                              minimum=1, whole=True)),
        max_download_bytes=int(_demo_number(DEMO_MAX_DOWNLOAD_MB_ENV, DEFAULT_DEMO_MAX_DOWNLOAD_MB, minimum=0,
                                            whole=False) * MB),
    )


def refuse_in_demo(action: str, error: type[Exception] = DemoModeError) -> None:
    """Raise ``error`` ("renaming corpora is off in this demo") when demo mode is on."""
    if demo_settings():
        raise error(f"{action} is off in this demo")


def check_demo_upload(size: int | None, name: str = "the upload", error: type[Exception] = DemoModeError) -> None:
    """In demo mode, refuse every upload when uploads are off, and one over the demo's size limit.

    ``size`` may be None where it is not known yet (only the on/off check runs then)."""
    demo = demo_settings()
    if not demo:
        return
    if not demo.uploads_allowed:
        raise error("uploads are off in this demo")
    if size is not None and size > demo.max_corpus_bytes:
        raise error(f"{name} is {_size(size)}; this demo accepts uploads of at most "
                    f"{_size(demo.max_corpus_bytes)}")
