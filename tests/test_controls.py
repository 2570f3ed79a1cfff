"""Every control on every page is clicked by a test that checks what it did.

``CONTROLS`` is the inventory: each widget call in ``app_pages/`` and ``streamlit_app.py`` (found by
parsing them, so a new control cannot slip in unlisted) with the tests that change it and check its
result. The tests below are the ones no other file had; AppTest runs each page file as the server would.
"""

import ast
import json
import logging
import os
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from namuweb.markup import literal
from test_pages import button, metrics, page, poll, tiny_trained_run, trained_once  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
TIMEOUT = 120


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)


# --- a page or a live part that fails says so --------------------------------------------------------


def damaged_embeddings(home: Path) -> Path:
    """Embeddings whose vocabulary file was cut short on disk: the Embeddings page raises reading it."""
    import numpy as np
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.vectors import Embeddings
    words = [f"말{i}/Noun" for i in range(20)]
    Embeddings(words, [1] * 20, np.ones((20, 4), np.float32)).to_word2vec_text(home / "v.txt")
    entry = embedding_library.import_file((home / "v.txt").read_bytes(), "v.txt")
    vocabulary = entry.path / "vocab.json"
    vocabulary.write_bytes(vocabulary.read_bytes()[:5])
    return entry.path


def with_its_corpus(run_dir: Path) -> Path:
    """The module's trained run, its corpus added to this test's library (else the page greys out what needs it)."""
    from namuweb import storage
    from namuweb.corpora import corpus
    from namuweb.language_model import runs
    source = corpus.add_upload(("한국에서는 나무위키 말뭉치를 만들어보자.\n" * 150).encode("utf-8"), "tiny.txt")
    storage.write_json(runs.Run(run_dir).config_file, runs.Run(run_dir).settings() | {"corpus": source.id})
    return run_dir


def test_a_page_that_raises_says_what_failed_in_one_line_and_logs_the_traceback(isolated_home, caplog):
    isolated_home.mkdir(parents=True, exist_ok=True)
    damaged_embeddings(isolated_home)
    at = app().run()
    with caplog.at_level(logging.ERROR, logger="namuweb.pages"):
        at.switch_page("app_pages/embeddings.py").run()
    assert not at.exception  # not Streamlit's traceback box: one line
    [error] = [e.value for e in at.error]
    assert error.startswith(literal("The Embeddings page failed: JSONDecodeError: ")), error
    assert error.endswith(literal("This was logged on the server, with the details.")), error
    [record] = [r for r in caplog.records if r.name == "namuweb.pages"]
    assert record.getMessage() == "The Embeddings page failed" and record.exc_info[0].__name__ == "JSONDecodeError"
    assert "vocab" in logging.Formatter().format(record)  # the traceback reaches the log: it names the loader
    at.switch_page("app_pages/vocabulary.py").run()  # the other pages still work
    assert not at.error and not at.exception and metrics(at)["Vocabulary size"] == "156"


def test_a_button_in_a_live_part_that_raises_keeps_saying_so_until_dismissed(tiny_trained_run, monkeypatch, caplog):
    """The runs table reruns every 5 s: an exception drawn by Streamlit there vanished at its next run, and the
    button looked dead (Train's Resume did). Now the line stays, through later runs, until Dismiss."""
    from namuweb import jobs
    from namuweb.language_model import trainer
    jobs.write_status(with_its_corpus(tiny_trained_run), state="finished", kind="train", created=0)

    def held_out_chunks_gone(run_dir):
        raise RuntimeError("the held-out chunks are gone")
    monkeypatch.setattr(trainer, "evaluate", held_out_chunks_gone)  # a fault injected where the click lands
    at = page("train")
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    with caplog.at_level(logging.ERROR, logger="namuweb.pages"):
        at.button(key=f"evaluate-{tiny_trained_run.name}").click().run()
    expected = literal("The runs table failed: RuntimeError: the held-out chunks are gone. This was logged on "
                       "the server, with the details.")
    assert not at.exception and [e.value for e in at.error] == [expected]
    assert [r.getMessage() for r in caplog.records if r.name == "namuweb.pages"] == ["The runs table failed"]
    at.run()  # the fragment's next run, without the click
    assert [e.value for e in at.error] == [expected]
    assert metrics(at)["State"] == "finished"  # the rest of the page still works
    at.button(key="dismiss-failure-the runs table").click().run()
    assert not at.error and not at.exception
