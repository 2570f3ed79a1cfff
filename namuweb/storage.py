"""Files that other processes read while they are being written, written one way everywhere.

A page, a CLI and a job worker may all read a folder while another process writes it, so every
settings or state file is written whole to a temporary file beside it and moved into place (a
reader sees the old file or the new one, never half of one), and every log is JSON lines, each
appended in one write.  New folders of every kind are named by one rule: a UTC time stamp, what
they hold, and a few random characters, so names sort by age and never collide.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, BinaryIO

from namuweb.config import PRIVATE_DIR, PRIVATE_FILE


def private_opener(path, flags: int) -> int:
    """``open(..., opener=private_opener)``: a new file is readable by its owner only."""
    return os.open(path, flags, PRIVATE_FILE)


def make_private_dirs(path) -> Path:
    """``mkdir -p`` whose every new folder is owner-only (``Path.mkdir`` gives new parents the
    umask's mode); FileExistsError when ``path`` is a file."""
    path = Path(path)
    missing = []
    while not path.is_dir() and not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass  # made by another process meanwhile
    target = missing[0] if missing else path
    if not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    return target


@contextlib.contextmanager
def atomic_file(path, *, encoding: str | None = None, newline: str | None = None,
                durable: bool = False) -> Iterator[IO]:
    """``with atomic_file(path) as f:`` -- an open temporary file beside ``path`` (binary, or text in
    ``encoding``) that replaces ``path`` when the block ends; when the block raises, it is removed and
    ``path`` is left as it was.  ``durable`` syncs it to disk first, for files whose loss after a power
    cut would lose work.  The file is its owner's only (``mkstemp`` creates it so)."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w" if encoding else "wb", encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write(path, data: str | bytes | Callable[[BinaryIO], None], *, durable: bool = False) -> Path:
    """Write ``data`` (text as UTF-8, bytes, or a function given the open binary file) whole to
    ``path`` (see :func:`atomic_file`)."""
    with atomic_file(path, durable=durable) as f:
        if callable(data):
            data(f)
        else:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def move_into_place(source, target) -> Path:
    """Move a file written whole elsewhere on the same filesystem to ``target`` in one step (a reader
    sees the old file or the new one), owner-only like every file this package writes (a move keeps
    the mode the file was made with)."""
    os.replace(source, target)
    os.chmod(target, PRIVATE_FILE)
    return Path(target)


def write_json(path, data, *, durable: bool = False) -> Path:
    """A JSON file readable as a whole or not at all (settings, status, metadata)."""
    return atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1), durable=durable)


def read_json(path, encoding: str = "utf-8"):
    """A JSON file, whole; OSError when it cannot be read, ValueError when it is not JSON."""
    return json.loads(Path(path).read_text(encoding=encoding))


def utc_stamp() -> str:
    """``20261203-142501``: now, in UTC, as new names and ``created`` fields carry it."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def new_name(*what: str, stamp: str | None = None) -> str:
    """``20261203-142501-<what>-3fa9``: a new folder's name, sorting by age, with what it holds (an empty
    part is left out, so a name never has two dashes in a row)."""
    return "-".join([stamp or utc_stamp(), *(part for part in what if part), secrets.token_hex(2)])


def new_folder(parent, *what: str, stamp: str | None = None) -> Path:
    """A new, empty, owner-only folder in ``parent`` named by :func:`new_name`; made exclusively, so a
    name another process took in the same second is never shared: the next random one is tried."""
    while True:
        folder = Path(parent) / new_name(*what, stamp=stamp)
        try:
            folder.mkdir(mode=PRIVATE_DIR)
            return folder
        except FileExistsError:
            continue


def jsonable(value):
    """Progress values from numpy/torch (``.item()``) or anything else (``str``)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


class JsonlAppender:
    """Appends JSON lines to a log that other processes may append to and read at the same time.

    Each row is encoded as one complete line and handed to the kernel in a single
    ``os.write`` on an ``O_APPEND`` descriptor, under an ``flock``: lines from
    concurrent writers never interleave, and a killed writer leaves at most one
    cut last line, which :func:`read_jsonl` skips.  Use as a context manager or
    call :meth:`open` / :meth:`close`.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._fd: int | None = None

    def open(self) -> JsonlAppender:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        return self

    def write(self, row: dict) -> None:
        data = (json.dumps(row, default=jsonable) + "\n").encode("utf-8")
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a short write (disk full): finish the line while still locked
                written += os.write(self._fd, data[written:])
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JsonlAppender:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


def append_jsonl(path, row: dict) -> None:
    """Append one row to a JSON-lines log (see :class:`JsonlAppender`)."""
    with JsonlAppender(path) as log:
        log.write(row)


def read_jsonl(path) -> list[dict]:
    """The complete rows of a JSON-lines log; a last line without its newline (a writer
    mid-append, or one killed there) and lines that are not JSON objects are skipped.
    A missing file has no rows."""
    rows = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.endswith("\n"):
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    rows.append(row)
    except FileNotFoundError:
        pass
    return rows


@contextlib.contextmanager
def atomic_path(path, suffix: str = ".tmp"):
    """A unique temporary name beside ``path`` for a writer that needs a name rather than an open file
    (ending in ``suffix``: a library may insist on one), moved into place when the block ends and
    removed if it fails."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield Path(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
