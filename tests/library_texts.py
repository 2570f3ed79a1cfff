"""Texts put into the corpus library the one way the app takes a text file in: ``corpus.add_text_file``,
which the Corpora page's upload (``uploads.store_file``) and the command line both call."""

import tempfile
from pathlib import Path

from namuweb.corpora import corpus


def add_text(data: bytes, name: str, home: Path | None = None, **options) -> corpus.Corpus:
    """``data`` stored as a corpus, as an uploaded (or added) ``.txt`` file called ``name`` is stored;
    ``options``: ``max_bytes``, ``source``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        return corpus.add_text_file(path, name, home, **options)
