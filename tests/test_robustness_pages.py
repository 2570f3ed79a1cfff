"""Bad input on the pages: each case shows its message (st.error / st.warning / st.info) instead of
a traceback or a job, and stores nothing.  AppTest runs each page file directly."""

import errno
import gzip
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from namuweb import config

from namuweb.corpora import corpus, uploads

from namuweb.language_model import runs, training
from namuweb.text.vocab import load_vocab
from namuweb.text.vocab_report import report as vocab_report
from test_robustness import (VARIED, checkpoint_file, fail_with, make_saved_run, run_copy,  # noqa: F401
                             saved_run, truncate)
from library_texts import add_text
from test_pages import shown_texts

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "app_pages" / f"{name}.py"), default_timeout=TIMEOUT)


def shown(at: AppTest, kind: str) -> str:
    """The elements' text as a visitor reads it: Markdown's backslash escapes (literal_text.literal) undone."""
    return " ".join(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", element.value) for element in getattr(at, kind))


def stored_corpora(home) -> list[str]:
    return sorted(p.name for p in (home / "corpora").iterdir())


# --- 1, 2. the tagger: whitespace only, a megabyte pasted ------------------------------------------


def test_tagger_page_whitespace_only_gets_a_hint():
    at = page("tagger").run()
    at.text_area[0].input("  \n\t  ").run()
    assert not at.exception
    assert "only whitespace" in shown(at, "info") and not at.text


def test_tagger_page_refuses_a_megabyte_quickly_naming_the_limit():
    at = page("tagger").run()
    started = time.perf_counter()
    at.text_area[0].input("나무위키 말뭉치를 만들어보자 " * 65_536).run()  # 1,048,576 characters
    assert time.perf_counter() - started < 30
    assert not at.exception
    warning = shown(at, "warning")
    assert "1,048,576 characters" in warning and "up to 20,000" in warning and "Tag a corpus" in warning
    assert not at.text  # nothing was tagged
    assert "text" not in at.query_params  # a megabyte never goes into the link


# --- 1, 4. uploads on the Vocabulary and Corpora pages ------------------------------------------------


@pytest.mark.parametrize("data, message", [(b"", "is empty"), (b" \n\t\n", "contains only whitespace")])
def test_vocabulary_page_empty_upload_is_an_error_and_stores_nothing(data, message, isolated_home):
    at = page("vocabulary").run()
    at.file_uploader[0].upload("empty.txt", data, "text/plain").run()
    assert not at.exception
    assert message in shown(at, "error")
    assert stored_corpora(isolated_home) == [corpus.BUILTIN_ID]


def bomb_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"a" * (3 * config.MB))
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, message", [
    ("cut.txt.gz", gzip.compress(VARIED.encode("utf-8"))[:20_000], "truncated or damaged"),
    ("bomb.zip", bomb_zip(), "unpacked is larger than the limit of 1 MB"),
    ("big.txt", b"a" * (config.MB + 1), "larger than the limit of 1 MB"),
], ids=["truncated-gzip", "zip-bomb", "over-the-limit"])
def test_corpora_page_bad_upload_is_an_error_and_stores_nothing(name, data, message, monkeypatch, isolated_home):
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", "1")
    monkeypatch.setattr(uploads, "EXPANSION_LIMIT", 2)
    at = page("corpora").run()
    at.file_uploader[0].upload(name, data, "application/octet-stream").run()
    assert not at.exception
    assert message in shown(at, "error")
    assert list(at.dataframe[0].value["source"]) == ["built-in"]
    assert stored_corpora(isolated_home) == [corpus.BUILTIN_ID]
    assert not any((isolated_home / "jobs" / "incoming").iterdir())


def test_corpora_page_utf16_upload_is_converted_with_a_notice():
    at = page("corpora").run()
    at.file_uploader[0].upload("메모.txt", "\ufeff메모 한 줄\n둘째 줄".encode("utf-16-le"), "text/plain").run()
    assert not at.exception
    assert "Converted from UTF-16" in shown(at, "info")
    [stored] = [c for c in corpus.list_corpora() if c.source == "upload"]
    assert stored.read_text() == "메모 한 줄\n둘째 줄"


# --- 10. a full disk while storing an upload ---------------------------------------------------------


def test_corpora_page_full_disk_is_an_error_and_stores_nothing(monkeypatch, isolated_home):
    at = page("corpora").run()  # the built-in corpus is written before the disk fills up
    monkeypatch.setattr(corpus, "_write_atomic", fail_with(errno.ENOSPC))
    at.file_uploader[0].upload("memo.txt", "한국어 말뭉치".encode("utf-8"), "text/plain").run()
    assert not at.exception
    error = shown(at, "error")
    assert "disk is full" in error and "Nothing was stored" in error
    assert stored_corpora(isolated_home) == [corpus.BUILTIN_ID]


# --- 3, 8, 9. the generate page: start text, foreign vocabulary, damaged checkpoint ------------------


def test_generate_page_refuses_the_syllable_mark(run_copy):
    at = page("generate").run()
    at.text_input[0].input("한국ᴥ").run()
    assert not at.exception
    assert "end-of-syllable mark" in shown(at, "error")
    assert not [b for b in at.button if b.label == "Generate"]  # no way to start from it


@pytest.mark.parametrize("start", ["😀🎉", "Hello"])
def test_generate_page_names_a_start_text_it_cannot_use_and_still_generates(run_copy, start):
    at = page("generate").run()
    at.text_input[0].input(start).run()
    warning = shown(at, "warning")
    assert "skipped" in warning and "Nothing of the start text is left" in warning
    assert all(f"`{c}`" in warning for c in set(start))
    next(b for b in at.button if b.label == "Generate").click().run()
    sample = at.session_state["generated"]["samples"][0]
    assert not at.exception and len(sample.continuation) == 200
    assert shown_texts(at) == [sample.text]  # exactly, leading spaces and blank lines too


def test_generate_page_refuses_a_vocabulary_of_another_model(run_copy):
    other = vocab_report("완전히 다른 글 " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2).vocab
    assert other.size != load_vocab(runs.Run(run_copy).vocab_file).size
    other.save(runs.Run(run_copy).vocab_file)
    at = page("generate").run()
    assert not at.exception
    assert "does not belong to this model" in shown(at, "error")


def test_generate_page_says_a_truncated_checkpoint_is_damaged(run_copy):
    truncate(checkpoint_file(run_copy))
    at = page("generate").run()
    assert not at.exception
    assert "is damaged (truncated or not a complete Keras archive" in shown(at, "error")


# --- 6, 7. the train page: too large for memory, a corpus too small ------------------------------------


def train_button(at: AppTest):
    return next(b for b in at.button if b.label == "Train")


def test_train_page_refuses_a_corpus_too_small_for_one_batch():
    tiny = add_text("가나다라".encode("utf-8"), "tiny.txt")
    at = page("train")
    at.session_state["preset"] = "tutorial"
    at.run()
    at.selectbox[0].set_value(tiny.id).run()
    assert not at.exception
    assert "needs at least 31,605 tokens, and this corpus has 12" in shown(at, "error")
    assert train_button(at).disabled
    assert runs.list_runs() == []


def test_train_page_refuses_a_model_too_large_for_memory():
    at = page("train")
    at.session_state["preset"] = "custom"
    at.run()
    for label, value in (("LSTM units", 8192), ("LSTM layers", 8), ("Batch size", 4096),
                         ("Sequence length", 10_000)):
        next(n for n in at.number_input if n.label == label).set_value(value)
    at.run()
    assert not at.exception
    assert "too large for this machine" in shown(at, "error")
    assert train_button(at).disabled
    assert runs.list_runs() == []


def test_embeddings_page_refuses_skipgram_settings_out_of_range(isolated_home):
    """The whole-number boxes end where training's limits do: Negatives once offered 30 and training refused
    25. A value past a box's end, sent without the browser's box, is not taken: the box keeps its value."""
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.skipgram import LIMITS, SkipGramConfig
    library = corpus.list_corpora()
    tagged = isolated_home / "tagged.txt"
    tagged.write_text("고양이/Noun 가/Josa 밥/Noun 을/Josa 먹다/Verb\n" * 20, encoding="utf-8")
    corpus.add_file(tagged, "tiny · tagged", source="tagged", parent=library[0].id)
    at = page("embeddings").run()
    boxes = {n.label: n for n in at.number_input}
    for label in ("Window", "Negatives", "Min count", "Epochs", "Seed"):
        assert (boxes[label].min, boxes[label].max) == LIMITS[label.lower().replace(" ", "_")], label
    assert boxes["Dimensions"].max == LIMITS["dimensions"][1]
    boxes["Negatives"].set_value(LIMITS["negatives"][1] + 5).run()
    assert not at.exception
    assert next(n for n in at.number_input if n.label == "Negatives").value == SkipGramConfig(corpus="c").negatives
    assert embedding_library.entries() == []


# --- the data directory read-only: one message on whatever page hits it ---------------------------


def read_only(monkeypatch, home: Path) -> None:
    """Writes under ``home`` fail with EROFS as on a read-only mount (chmod would not stop root)."""
    import os
    real_mkdir, real_open = os.mkdir, os.open

    def refuse(path) -> None:
        if os.path.abspath(path).startswith(str(home)) and not os.path.isdir(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))

    def mkdir(path, *args, **kwargs):
        refuse(path)
        return real_mkdir(path, *args, **kwargs)

    def open_for_writing(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_for_writing)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)


TOOL_PAGES = ["vocabulary", "corpora", "train", "tagger", "embeddings", "generate"]


@pytest.mark.engines  # the Tagger page starts Okt's worker
def test_an_empty_read_only_data_directory_is_one_clear_message_on_every_page(monkeypatch, isolated_home):
    isolated_home.mkdir(parents=True)
    read_only(monkeypatch, isolated_home)
    at = app().run()
    for name in TOOL_PAGES:
        at.switch_page(f"app_pages/{name}.py").run()
        if name == "tagger":  # tagging a sentence needs no data directory; tagging a corpus does
            assert not at.exception and not shown(at, "error"), at.exception or shown(at, "error")
            at.session_state["tagger_tab"] = "Tag a corpus"
            at.run()
        assert not at.exception, (name, at.exception[0].value if at.exception else None)
        assert "the data directory is read-only" in shown(at, "error"), name
    assert not any(isolated_home.iterdir()), "nothing may be written"


def test_a_read_only_data_directory_with_data_still_explores_and_generates(monkeypatch, isolated_home):
    run_dir = make_saved_run(isolated_home)
    corpus.ensure_builtin()
    read_only(monkeypatch, isolated_home)
    at = app().run()
    at.switch_page("app_pages/vocabulary.py").run()
    assert not at.exception and not at.error
    assert any(m.label == "Vocabulary size" for m in at.metric)
    at.switch_page("app_pages/generate.py").run()
    assert at.selectbox[0].value == run_dir.name
    next(b for b in at.button if b.label == "Generate").click().run()
    assert not at.exception and not at.error
    assert shown_texts(at) and shown_texts(at)[0].startswith("한국에서는"), "generation needs no writes"


# --- table rows: AppTest selects one through the table's session state ------------------------------


def select_row(at: AppTest, table_key: str, row: int) -> AppTest:
    at.session_state[table_key] = {"selection": {"rows": [row], "columns": []}}
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("name, message", [("a\x00b", "NUL"), ("가" * 300, "100 characters")])
def test_corpora_page_rename_refuses_a_hostile_name_and_keeps_the_old_one(name, message):
    source = add_text(VARIED.encode("utf-8"), "memo.txt")
    at = select_row(page("corpora").run(), "library_table", 1)
    at.text_input(key=f"name-{source.id}").input(name).run()
    button(at, "Rename").click().run()
    assert message in shown(at, "error") and not at.exception
    assert corpus.get_corpus(source.id).name == "memo.txt"


def test_deleting_a_corpus_a_run_trained_on_warns_then_the_run_says_why_it_cannot_resume(isolated_home):
    from namuweb import jobs
    run_dir = make_saved_run(isolated_home)
    jobs.write_status(run_dir, state="stopped", kind=training.TRAINING.name, created=0)
    source = runs.Run(run_dir).config().corpus

    at = select_row(page("corpora").run(), "library_table", 1)
    assert "can no longer resume" in shown(at, "warning")
    button(at, "Yes, delete").click().run()
    assert source not in [c.id for c in corpus.list_corpora()]

    at = select_row(page("train").run(), "runs_table", 0)
    assert "has been deleted" in shown(at, "warning") and not at.exception
    assert button(at, "Resume").disabled and button(at, "Validation loss now").disabled


def test_train_page_names_a_damaged_checkpoint_of_the_selected_run(run_copy):
    from namuweb import jobs
    jobs.write_status(run_copy, state="stopped", kind=training.TRAINING.name, created=0)
    truncate(checkpoint_file(run_copy))
    at = select_row(page("train").run(), "runs_table", 0)
    assert "damaged" in shown(at, "warning") and not at.exception
    assert button(at, "Resume").disabled, "nothing intact is left to resume from"
