"""Checking a run's checkpoints before they are used, and falling back past a damaged one.

The trainer writes every checkpoint to a temporary name and moves it into place, so a
crash never leaves a half-written *latest* checkpoint.  A file can still be damaged
afterwards — a disk error, a copy cut short, a full disk during a backup restore — and
Keras then fails deep inside ``load_model`` with a traceback.  ``verify`` reads the
``.keras`` zip's directory and checks every member's CRC (milliseconds for these
models), and ``repair`` makes ``latest.json`` point at the newest intact checkpoint
before a resume, moving damaged files aside as ``*.damaged`` (kept, never deleted).

A checkpoint's step fixes where in the data it was: step ``s`` of a run with ``P``
steps per epoch is batch ``s mod P`` of epoch ``s div P``, because every epoch runs all
its batches and a resume continues the step count.  So an older checkpoint, which has
no ``latest.json`` of its own, resumes exactly.
"""

from __future__ import annotations

import functools
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from namuweb.language_model import runs

REQUIRED = ("config.json", "model.weights.h5")


class DamagedCheckpoint(runs.RunError):
    """Every checkpoint of a run is damaged; the message says which and what to do."""


def verify(path: Path) -> str | None:
    """``None`` for an intact ``.keras`` archive, else why it is damaged (one short phrase).

    Remembered per file version (path, size, modification time), since pages ask every few seconds."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        return "the file is missing"
    except OSError as error:
        return f"it cannot be read ({error})"
    return _verify(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _verify(path: str, size: int, mtime_ns: int) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            missing = [name for name in REQUIRED if name not in archive.namelist()]
            if missing:
                return f"it lacks {', '.join(missing)}"
            broken = archive.testzip()
            if broken is not None:
                return f"{broken} fails its checksum"
    except FileNotFoundError:
        return "the file is missing"
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, ValueError, NotImplementedError) as error:
        return f"not a complete Keras archive ({error})"
    return None


def step_files(run_dir: Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of the run's checkpoint files, newest first."""
    folder = runs.Run(run_dir).checkpoints_dir
    if not folder.is_dir():
        return []
    found = [(step, p) for p in folder.iterdir() if (step := runs.checkpoint_step(p.name)) is not None]
    return sorted(found, reverse=True)


@dataclass
class Inspection:
    good: tuple[int, Path] | None           # the newest intact checkpoint
    damaged: list[tuple[Path, str]] = field(default_factory=list)   # newer ones that are not intact
    latest_ok: bool = True                  # latest.json names ``good``

    @property
    def resumable(self) -> bool:
        """False only when checkpoints exist and none of them is intact."""
        return self.good is not None or not self.damaged

    def describe_damage(self) -> str:
        return "; ".join(f"{path.name} is damaged: {why}" for path, why in self.damaged)


def inspect(run_dir: Path) -> Inspection:
    """The newest intact checkpoint, the damaged ones newer than it, and whether latest.json agrees."""
    damaged = []
    good = None
    for step, path in step_files(run_dir):
        why = verify(path)
        if why is None:
            good = (step, path)
            break
        damaged.append((path, why))
    latest = runs.Run(run_dir).latest_checkpoint()
    latest_ok = good is None or (latest is not None and latest.get("file") == good[1].name)
    return Inspection(good=good, damaged=damaged, latest_ok=latest_ok)


def resume_message(inspection: Inspection) -> str | None:
    """What a resume will do about damage, for the page and the CLI; ``None`` when nothing is wrong."""
    if not inspection.damaged:
        return None
    if inspection.good is None:
        return (f"{inspection.describe_damage()}; no intact checkpoint is left, so this run cannot resume — "
                "start a new run")
    return f"{inspection.describe_damage()}; resuming from the intact checkpoint at step {inspection.good[0]:,}"


def repair(run_dir: Path, steps_per_epoch) -> Inspection:
    """Before a resume: move damaged checkpoints aside and point latest.json at the newest intact one.

    ``steps_per_epoch`` is a number or a callable giving it (called only when an older checkpoint
    must be described).  Raises ``DamagedCheckpoint`` when checkpoints exist but none is intact."""
    run_dir = Path(run_dir)
    inspection = inspect(run_dir)
    if inspection.damaged and inspection.good is None:
        raise DamagedCheckpoint(resume_message(inspection))
    for path, _ in inspection.damaged:
        path.replace(path.with_name(path.name + ".damaged"))
    if inspection.good is not None and not inspection.latest_ok:
        step, path = inspection.good
        per_epoch = steps_per_epoch() if callable(steps_per_epoch) else steps_per_epoch
        runs.Run(run_dir).point_latest(path.name, step, per_epoch, recovered=True)
    return inspection
