"""One line of a text file picked at random, without reading the file: a seek to a random byte, then the
line that starts after it (a line follows a long one more often: good enough for an example)."""

from __future__ import annotations

import os
import random
from pathlib import Path

READ_LIMIT = 1 << 16  # bytes read of one line at most: a file of one endless line is not read whole


def random_line(path: str | os.PathLike, *, longer_than: int = 20, max_chars: int = 2000, tries: int = 64,
                rng: random.Random | None = None) -> str | None:
    """A line of the UTF-8 file at ``path`` with more than ``longer_than`` characters besides spaces, cut to
    ``max_chars``; None when ``tries`` random places found none (an empty file, only short lines)."""
    rng = rng or random.Random()
    path = Path(path)
    size = path.stat().st_size
    if not size:
        return None
    with path.open("rb") as f:
        for _ in range(tries):
            offset = rng.randrange(size)
            f.seek(offset)
            if offset:
                _skip_line(f)  # the rest of the line the offset fell in
            raw = f.readline(READ_LIMIT)
            if not raw:  # past the last line: the first one
                f.seek(0)
                raw = f.readline(READ_LIMIT)
            line = raw.decode("utf-8", errors="ignore").rstrip("\r\n")[:max_chars]
            if len(line.strip()) > longer_than:
                return line
    return None


def _skip_line(f) -> None:
    while (piece := f.readline(READ_LIMIT)) and not piece.endswith(b"\n"):
        pass
