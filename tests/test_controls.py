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

from namuweb.literal_text import literal
from test_pages import (button, metrics, page, poll, shown_texts, tiny_trained_run, train_tiny_model,  # noqa: F401
                        trained_once)
from library_texts import add_text
from namuweb.language_model import training

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
    (home / "v.txt").write_bytes(Embeddings(words, [1] * 20, np.ones((20, 4), np.float32)).word2vec_text())
    entry = embedding_library.import_file((home / "v.txt").read_bytes(), "v.txt")
    vocabulary = entry.path / "vocab.json"
    vocabulary.write_bytes(vocabulary.read_bytes()[:5])
    return entry.path


def with_its_corpus(run_dir: Path) -> Path:
    """The module's trained run, its corpus added to this test's library (else the page greys out what needs it)."""
    from namuweb import storage
    from namuweb.corpora import corpus
    from namuweb.language_model import runs
    source = add_text(("한국에서는 나무위키 말뭉치를 만들어보자.\n" * 150).encode("utf-8"), "tiny.txt")
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
    jobs.write_status(with_its_corpus(tiny_trained_run), state="finished", kind="train", created=0)

    def held_out_chunks_gone(run_dir):
        raise RuntimeError("the held-out chunks are gone")
    monkeypatch.setattr(training, "evaluate", held_out_chunks_gone)  # a fault injected where the click lands
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



# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch):
    """``downloads(at, label)`` → (file name, bytes) a download button gives a visitor after ``at``'s last run: its
    file in the run's media store, or what its callable makes when clicked (as the server makes it)."""
    from streamlit.runtime import media_file_manager
    from streamlit.testing.v1 import app_test
    managers = []

    class Recorded(media_file_manager.MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)
    monkeypatch.setattr(app_test, "MediaFileManager", Recorded)

    def given(at: AppTest, label: str) -> tuple[str, bytes]:
        [proto] = [b.proto for b in at.get("download_button") if b.proto.label == label]
        manager = managers[-1]
        url = manager.execute_deferred(proto.deferred_file_id) if proto.deferred_file_id else proto.url
        stored = manager._storage.get_file(url.rsplit("/", 1)[-1])
        return stored.filename, stored.content
    return given


def running_as_this_process(job_dir: Path, kind: str) -> None:
    """A job that is running as far as every page can tell (its worker is this live test process): what a
    page draws for a running job, and where its Stop button's request lands, without a worker to wait for."""
    from namuweb import jobs
    jobs.write_status(job_dir, state="running", kind=kind, created=0, pid=os.getpid(),
                      pid_start=jobs.state.pid_start(os.getpid()), progress=jobs.Progress(done=1, total=10, unit="steps"))


def stop_was_requested(job_dir: Path) -> bool:
    from namuweb import jobs
    status = jobs.read_status(job_dir)
    return status.state == "stopping" and (job_dir / jobs.state.STOP_FILE).exists()


def select_rows(at: AppTest, table_key: str, *rows: int) -> AppTest:
    at.session_state[table_key] = {"selection": {"rows": list(rows), "columns": []}}
    return at.run()


def recorded_starts(monkeypatch) -> list:
    """Jobs the page starts, recorded instead of run (what each job does is tested where its kind is)."""
    from namuweb import jobs
    started = []
    monkeypatch.setattr(jobs, "start", lambda kind, job_dir, **options: started.append((kind.name, Path(job_dir))))
    return started


# --- Home ------------------------------------------------------------------------------------------------


OPENED_TITLES = {"Corpora": "Corpora", "Tagger": "Morpheme tagger", "Embeddings": "Word embeddings",
                 "Vocabulary": "Vocabulary", "Train": "Train a char-LSTM", "Generate": "Generate text",
                 "Inspect": "Inspect a model"}


@pytest.mark.engines  # the Tagger page tags its example with Okt
def test_home_open_buttons_open_each_tool():
    at = app().run()
    for tool, title in OPENED_TITLES.items():
        at.switch_page("app_pages/home.py").run()
        at.button(key=f"open-{tool}").click().run()
        assert not at.exception and not at.error, (tool, at.exception, at.error)
        assert at.title[0].value == title, tool
    opened = {key.removeprefix("open-") for key in (b.key for b in at.switch_page("app_pages/home.py").run().button)
              if key and key.startswith("open-")}
    assert opened == set(OPENED_TITLES)  # a tool added to Home is added here too


# --- Corpora ------------------------------------------------------------------------------------------


def test_corpora_import_options_reach_the_import_job(monkeypatch):
    from namuweb.corpora import uploads
    started = recorded_starts(monkeypatch)
    at = page("corpora").run()
    for label, value in (("Min. characters per document", 7), ("Sampling rate", 0.5),
                         ("Max. documents (0 = all)", 3)):
        next(n for n in at.number_input if n.label == label).set_value(value)
    next(s for s in at.selectbox if s.label == "Footnotes").select("inline")
    for label in ("Keep headings", "Keep tables", "Keep code blocks", "Also write jamo"):
        toggle = next(t for t in at.toggle if t.label == label)
        toggle.set_value(not toggle.value)
    next(t for t in at.text_input if t.label.startswith("Only titles matching")).input("^나무")
    at.run()
    dump = ROOT / "tests" / "fixtures" / "namuwiki" / "mini.json"
    at.file_uploader[0].upload("mini.json", dump.read_bytes(), "application/json").run()
    assert not at.exception and not at.error
    [job] = uploads.FOLDERS.all()
    assert started == [(uploads.IMPORT.name, job)]
    from namuweb.corpora.namuwiki import ImportOptions
    defaults = ImportOptions()
    options = uploads.FOLDERS.read(job)["options"]
    assert {k: options[k] for k in ("min_chars", "sample_rate", "max_documents", "footnotes", "title_pattern")} == {
        "min_chars": 7, "sample_rate": 0.5, "max_documents": 3, "footnotes": "inline", "title_pattern": "^나무"}
    assert (options["keep_headings"], options["keep_tables"], options["keep_code"], options["jamo"]) == (
        not defaults.keep_headings, not defaults.keep_tables, not defaults.keep_code, not defaults.jamo)


def test_corpora_stop_buttons_ask_a_running_download_and_import_to_stop():
    from namuweb.corpora import downloads, uploads
    download = downloads.create("koconovel")
    running_as_this_process(download, downloads.DOWNLOAD.name)
    at = page("corpora").run()
    at.button(key=f"stop-{download.name}").click().run()
    assert not at.exception and stop_was_requested(download)

    dump = ROOT / "tests" / "fixtures" / "namuwiki" / "mini.json"
    imported = uploads.create_job(dump, "mini.json")
    running_as_this_process(imported, uploads.IMPORT.name)
    at = page("corpora").run()
    at.button(key=f"stop-{imported.name}").click().run()
    assert not at.exception and stop_was_requested(imported)


def test_corpora_resume_the_import_starts_the_stopped_import_again(monkeypatch):
    from namuweb import jobs
    from namuweb.corpora import uploads
    dump = ROOT / "tests" / "fixtures" / "namuwiki" / "mini.json"
    job = uploads.create_job(dump, "mini.json")
    jobs.write_status(job, state="stopped", kind=uploads.IMPORT.name, created=0)
    started = recorded_starts(monkeypatch)
    at = page("corpora").run()
    assert [w.value for w in at.warning] == [literal("mini.json: stopped.")]
    at.button(key=f"resume-{job.name}").click().run()
    assert not at.exception and started == [(uploads.IMPORT.name, job)]


def test_corpora_shows_what_jobs_of_the_previous_version_made():
    """Job folders the previous version wrote keep their result in job.json, not in their status: the import
    and the download they made still show, and a finished download offers no Resume."""
    from namuweb import config, jobs
    from namuweb.corpora import corpus, downloads, uploads
    text = config.data_home() / "made.txt"
    text.write_text("나무위키 문서의 본문입니다.\n", encoding="utf-8")
    made = corpus.add_file(text, "Namuwiki · mini.json", source="namuwiki", notice="3 documents kept")
    imported = uploads.create_job(ROOT / "tests" / "fixtures" / "namuwiki" / "mini.json", "mini.json")
    uploads.FOLDERS.write(imported, uploads.FOLDERS.read(imported) | {"result": made.id, "report": {"stopped": False}})
    jobs.write_status(imported, state="finished", kind=uploads.IMPORT.name, created=0)
    fetched = downloads.create("koconovel")
    downloads.FOLDERS.write(fetched, downloads.FOLDERS.read(fetched) | {"result": made.id})
    jobs.write_status(fetched, state="finished", kind=downloads.DOWNLOAD.name, created=0)
    at = page("corpora").run()
    assert not at.exception and not at.warning
    name = downloads.FOLDERS.read(fetched)["name"]
    assert sorted(s.value for s in at.success) == sorted([
        literal("Imported mini.json: 3 documents kept"), literal(f"Downloaded {name}: {made.chars:,} characters · ")])
    assert not [b for b in at.button if (b.key or "").startswith("resume-")]


def test_corpora_download_gives_the_selected_corpus_and_delete_removes_it(downloads):
    from namuweb.corpora import corpus
    text = "내려받을 글\n둘째 줄\n"
    stored = add_text(text.encode("utf-8"), "memo.txt")
    at = select_rows(page("corpora").run(), "library_table", 1)
    name, data = downloads(at, "Download")
    assert name == f"{stored.id}.txt" and data.decode("utf-8") == text
    at = select_rows(page("corpora").run(), "library_table", 1)
    at.button(key=f"delete-{stored.id}").click().run()
    assert not at.exception and [c.id for c in corpus.list_corpora()] == [corpus.BUILTIN_ID]
    assert list(at.dataframe[0].value["source"]) == ["built-in"]


# --- Vocabulary --------------------------------------------------------------------------------------


def test_vocabulary_corpus_picker_preview_slider_and_downloads(downloads):
    import io
    import pandas as pd
    from namuweb.corpora import corpus
    from namuweb.text.vocab_report import report
    text = "가나다라마바사 " * 100
    stored = add_text(text.encode("utf-8"), "가나다.txt")
    at = page("vocabulary").run()
    at.selectbox(key="corpus_id").set_value(stored.id).run()
    assert metrics(at)["Characters"] == f"{len(text):,}"
    next(s for s in at.slider if s.label == "Characters to preview").set_value(200).run()
    assert next(t for t in at.text_area if t.label == "Raw text").value == text[:200]
    expected = report(stored, jamo=True)
    name, data = downloads(at, "Vocabulary (JSON)")
    assert name == f"{stored.id}.vocab.json" and json.loads(data) == expected.vocab.to_json()
    name, data = downloads(at, "Token table (CSV)")
    table = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    assert name == f"{stored.id}.tokens.csv" and len(table) == expected.vocab.size
    assert list(table["count"]) == list(at.dataframe[0].value["count"])



# --- Train ------------------------------------------------------------------------------------------------


def test_train_custom_settings_reach_the_run(monkeypatch):
    from namuweb.language_model import runs
    started = recorded_starts(monkeypatch)
    at = page("train")
    at.session_state["preset"] = "custom"
    at.run()
    wanted = {"Embedding size": 24, "LSTM units": 32, "LSTM layers": 2, "Dropout": 0.3, "Batch size": 16,
              "Sequence length": 40, "Learning rate": 0.005, "Validation share": 0.1, "Seed": 7}
    for label, value in wanted.items():
        next(n for n in at.number_input if n.label == label).set_value(value)
    next(r for r in at.radio if r.label == "Budget").set_value("steps")
    at.run()
    next(n for n in at.number_input if n.label == "Steps").set_value(123)
    next(s for s in at.selectbox if s.label == "Rate schedule").select("cosine")
    next(t for t in at.toggle if t.label == "Mixed precision").set_value(True)
    at.run()
    button(at, "Train").click().run()
    assert not at.exception and not at.error
    [info] = runs.list_runs()
    assert started == [("train", info.path)]
    config = info.config
    assert {k: config[k] for k in ("embedding", "units", "layers", "dropout", "batch", "seq_len", "learning_rate",
                                   "val_share", "seed", "steps", "epochs", "schedule", "mixed_precision")} == {
        "embedding": 24, "units": 32, "layers": 2, "dropout": 0.3, "batch": 16, "seq_len": 40,
        "learning_rate": 0.005, "val_share": 0.1, "seed": 7, "steps": 123, "epochs": None, "schedule": "cosine",
        "mixed_precision": True}


def test_train_runs_table_compares_evaluates_downloads_and_deletes(tiny_trained_run, downloads):
    """Two runs selected: their curves overlaid, by step or by training time. The last selected: Validation loss
    now (the trainer's own figure), its checkpoint as a download, and Yes, delete."""
    import shutil
    from namuweb import jobs
    from namuweb.language_model import runs
    with_its_corpus(tiny_trained_run)
    jobs.write_status(tiny_trained_run, state="finished", kind="train", created=0)
    twin = Path(shutil.copytree(tiny_trained_run, tiny_trained_run.with_name("20000101-000000-custom-twin")))
    at = select_rows(page("train").run(), "runs_table", 0, 1)
    assert not at.exception
    overlay = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if "Runs compared" in c.proto.spec)
    assert overlay["layer"][0]["encoding"]["x"]["field"] == "step"
    at.segmented_control(key="compare_axis").set_value("training time").run()
    overlay = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if "Runs compared" in c.proto.spec)
    assert overlay["layer"][0]["encoding"]["x"]["field"] == "seconds"

    last = runs.list_runs()[1].path
    at.button(key=f"evaluate-{last.name}").click().run()
    assert not at.exception and not at.error
    latest = runs.Run(last).latest_checkpoint()
    assert [s.value for s in at.success] == [f"Validation loss at step {latest['step']:,}: {training.evaluate(last):.4f}"]
    name, data = downloads(at, "Download checkpoint")
    assert name == f"{last.name}-{latest['file']}"
    assert data == (runs.Run(last).checkpoints_dir / latest["file"]).read_bytes()
    at.button(key=f"delete-{last.name}").click().run()
    assert not at.exception and not last.exists()
    assert [i.path for i in runs.list_runs()] == [p for p in (tiny_trained_run, twin) if p != last]



# --- Generate ---------------------------------------------------------------------------------------------


def test_generate_every_option_reaches_the_text_and_its_download(tiny_trained_run, downloads):
    """Length, samples side by side with a temperature each, top-k, top-p, a fixed seed and the jamo stream:
    the texts are what the model's own generator gives for those settings, and Download text gives them."""
    from namuweb.language_model import generate
    at = page("generate").run()
    next(s for s in at.slider if s.label == "Length (characters)").set_value(30)
    next(n for n in at.number_input if n.label == "Samples side by side").set_value(2)
    next(n for n in at.number_input if n.label == "Top-k (0 = off)").set_value(5)
    next(s for s in at.slider if s.label == "Top-p (1 = off)").set_value(0.9)
    next(t for t in at.toggle if t.label == "Fixed seed").set_value(True)
    next(t for t in at.toggle if t.label == "Show the jamo stream").set_value(True)
    at.run()
    at.number_input(key="seed").set_value(5)
    next(t for t in at.toggle if t.label == "A temperature per sample").set_value(True)
    at.run()
    at.slider(key="temperature-1").set_value(1.5).run()
    button(at, "Generate").click().run()
    assert not at.exception and not at.error
    temperatures = [at.slider(key="temperature-0").value, 1.5]
    *_, samples = generate.load_generator(tiny_trained_run).stream("한국에서는", 30, temperatures, seed=5, top_k=5,
                                                                    top_p=0.9)  # one batch, as the page asks
    shown = [m.value for m in at.markdown if m.value.startswith("**temperature")]
    assert shown == [f"**temperature {t:g}** · 30 new characters · repeated 4-grams {s.repeated_4gram_share:.0%}"
                     for t, s in zip(temperatures, samples)]
    assert [(s.text, s.stream) for s in at.session_state["generated"]["samples"]] == [(s.text, s.stream) for s in samples]
    assert shown_texts(at) == [samples[0].text, samples[1].text]  # exactly as written
    assert shown_texts(at, "jamo") == [samples[0].stream, samples[1].stream]
    assert [c.value for c in at.code] == [samples[0].text, samples[1].text]  # the copy boxes
    name, data = downloads(at, "Download text")
    assert name == f"namuweb-{tiny_trained_run.name}.txt"
    assert data.decode("utf-8") == "\n\n".join(s.text for s in at.session_state["generated"]["samples"])


def test_generate_branches_from_the_second_sample(tiny_trained_run):
    """Of two samples side by side, the one picked is branched; the other stays as it was."""
    from namuweb.text import hangul
    at = page("generate").run()
    next(n for n in at.number_input if n.label == "Samples side by side").set_value(2).run()
    next(s for s in at.slider if s.label == "Length (characters)").set_value(30).run()
    button(at, "Generate").click().run()
    first, second = at.session_state["generated"]["samples"]
    at.selectbox(key="branch_sample").set_value(f"2 · temperature {at.session_state['generated']['temperatures'][1]:g}")
    at.run()
    at.number_input(key="branch_character").set_value(10).run()
    picked = at.selectbox(key="branch_with").value
    button(at, "Continue from here").click().run()
    assert not at.exception and not at.error
    same, branched = at.session_state["generated"]["samples"]
    assert same.text == first.text and shown_texts(at)[0] == first.text
    assert branched.continuation[:9] == second.continuation[:9]
    assert branched.stream.startswith(hangul.decompose(second.continuation[:9]) + picked)  # then the one picked
    assert shown_texts(at)[1] == branched.text


def test_generate_decoding_options_reach_the_text(tiny_trained_run):
    """Whole syllables only, the repetition penalty, no repeated n-gram and Stop at (under More options): the
    texts are what the model's own generator writes with those options."""
    from namuweb.language_model import generate
    from namuweb.language_model.decoding import Decoding
    at = page("generate").run()
    next(t for t in at.toggle if t.label == "Fixed seed").set_value(True)
    next(n for n in at.number_input if n.label == "Samples side by side").set_value(2)
    at.run()
    at.number_input(key="seed").set_value(9)
    gen = generate.load_generator(tiny_trained_run)
    differs = []
    for options in [Decoding(well_formed=False), Decoding(repetition_penalty=1.4, no_repeat_ngram=3, stop_at="sentence"),
                    Decoding(stop_at="line")]:
        next(t for t in at.toggle if t.label == "Whole syllables only").set_value(options.well_formed)
        next(n for n in at.number_input if n.label == "Repetition penalty (1 = off)").set_value(
            options.repetition_penalty)
        next(n for n in at.number_input if n.label == "No repeated n-gram (0 = off)").set_value(options.no_repeat_ngram)
        next(s for s in at.selectbox if s.label == "Stop at").set_value(options.stop_at)
        at.run()
        button(at, "Generate").click().run()
        assert not at.exception and not at.error
        *_, expected = gen.stream("한국에서는", 200, [0.8, 0.8], seed=9, decoding=options)
        assert [s.text for s in at.session_state["generated"]["samples"]] == [s.text for s in expected], options
        captions = [m.value for m in at.markdown if "repeated 4-grams" in m.value]
        assert captions and all(f"repeated 4-grams {s.repeated_4gram_share:.0%}" in c
                                for s, c in zip(expected, captions)), "each sample shows its repeated-4-gram share"
        *_, default = gen.stream("한국에서는", 200, [0.8, 0.8], seed=9)
        differs.append([s.text for s in expected] != [s.text for s in default])
    assert all(differs), "each set of options changes the text, so the page must have passed them"


def test_generate_model_picker_and_clear(tiny_trained_run):
    import shutil
    twin = Path(shutil.copytree(tiny_trained_run, tiny_trained_run.with_name("20000101-000000-custom-twin")))
    at = page("generate").run()
    other = ({twin.name, tiny_trained_run.name} - {at.selectbox[0].value}).pop()
    at.selectbox[0].set_value(other).run()
    button(at, "Generate").click().run()
    assert not at.exception and at.session_state["generated"]["run"] == other
    at.session_state["writing"] = {"run": other, "start": "한국에서는", "picks": ["ㄴㅏᴥ"]}
    at.run()
    assert shown_texts(at, "written") == ["한국에서는나▌"]
    button(at, "Clear").click().run()
    assert at.session_state["writing"]["picks"] == [] and shown_texts(at, "written") == ["한국에서는▌"]
    assert button(at, "Clear").disabled and button(at, "Undo").disabled


def test_generate_stop_ends_the_quick_demo_it_waits_for():
    from namuweb.corpora import corpus
    from namuweb.language_model import runs, settings as lm_settings
    corpus.ensure_builtin()
    run_dir = runs.create_run(lm_settings.TrainConfig.from_preset(corpus.BUILTIN_ID, "demo"))
    running_as_this_process(run_dir, "train")
    at = page("generate").run()
    assert any("A model is training" in i.value for i in at.info)
    at.button(key=f"stop-{run_dir.name}").click().run()
    assert not at.exception and stop_was_requested(run_dir)


# --- Inspect ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_layers_once(tmp_path_factory):
    """A tiny model of two LSTM layers, trained once for this module: the Layer box has a second layer to pick."""
    return train_tiny_model(tmp_path_factory.mktemp("two-layers-home"), embedding=8, units=8, layers=2, steps=4)


def test_inspect_model_picker_corpus_line_layer_and_cells_table(two_layers_once, tiny_trained_run):
    import shutil
    from namuweb.language_model import runs
    two_layers = with_its_corpus(Path(shutil.copytree(two_layers_once, runs.runs_dir() / "20000101-000000-two")))
    at = page("inspect").run()
    at.selectbox(key="inspect_model").set_value(two_layers.name).run()
    from app_pages._widgets import run_label
    assert at.selectbox(key="inspect_compare").options == ["none", run_label(runs.run_info(tiny_trained_run))]
    button(at, "A line from the model's corpus").click().run()
    assert not at.exception and at.text_area[0].value == "한국에서는 나무위키 말뭉치를 만들어보자."
    layer = next(n for n in at.number_input if n.label == "Layer")
    assert layer.max == 2
    first_layer = at.get("html")[-1].proto.body
    layer.set_value(2).run()
    assert at.get("html")[-1].proto.body != first_layer  # the second layer's cells colour the text
    table = at.dataframe[0].value
    select_rows(at, "cells_table", 1)
    assert next(n for n in at.number_input if n.label == "Cell").value == table.iloc[1]["index"]
    assert next(n for n in at.number_input if n.label == "Layer").value == table.iloc[1]["layer"] + 1



# --- Tagger -----------------------------------------------------------------------------------------------


def tutorial_line(text: str, engine: str, **options) -> str:
    from namuweb.morphemes import analyzers, analyzer_processes
    return " ".join(analyzers.flat(analyzer_processes.pos(text, engine, **options)))


@pytest.mark.engines
def test_tagger_examples_engine_and_okt_options():
    at = page("tagger").run()
    examples = [b.key.removeprefix("example-") for b in at.button if b.key and b.key.startswith("example-")]
    assert len(examples) == 4
    for example in examples:
        at.button(key=f"example-{example}").click().run()
        assert at.text_area(key="text").value == example
        assert at.text[0].value == tutorial_line(example, "okt")
    slang = "ㅋㅋ 이거 진짜 맛있닼ㅋㅋ"
    at.button(key=f"example-{slang}").click().run()
    plain = at.text[0].value
    next(t for t in at.toggle if t.label == "norm").set_value(True).run()
    assert at.text[0].value == tutorial_line(slang, "okt", norm=True) != plain
    verbs = "아버지가방에들어가신다"
    at.button(key=f"example-{verbs}").click().run()
    next(t for t in at.toggle if t.label == "stem").set_value(True).run()
    assert at.text[0].value == tutorial_line(verbs, "okt", norm=True, stem=True) != tutorial_line(verbs, "okt", norm=True)
    at.segmented_control(key="engine").set_value("kiwi").run()
    assert not at.exception and at.text[0].value == tutorial_line(verbs, "kiwi")
    assert [t.label for t in at.toggle if t.label in ("norm", "stem")] == []  # norm and stem are Okt's


@pytest.mark.engines
def test_tagger_tags_a_corpus_downloads_it_resumes_and_stops(downloads, monkeypatch, kill_leftover_workers):
    from namuweb import jobs
    from namuweb.corpora import corpus
    from namuweb.morphemes import corpus_tagging
    source = add_text("나무위키 말뭉치를 만들어보자. 아버지가 방에 들어가신다.\n".encode("utf-8") * 3, "짧은.txt")
    at = page("tagger")
    at.session_state["tagger_tab"] = "Tag a corpus"
    at.run()
    next(s for s in at.selectbox if s.label == "Corpus to tag").set_value(source.id)
    at.selectbox(key="job_engine").set_value("kiwi").run()
    button(at, "Tag the corpus").click().run()
    assert not at.exception and not at.error
    [job] = corpus_tagging.FOLDERS.all()
    assert {k: corpus_tagging.FOLDERS.read(job)[k] for k in ("corpus", "engine")} == {"corpus": source.id, "engine": "kiwi"}
    assert jobs.wait(job, timeout=120).state == "finished", jobs.log_tail(job)
    at.run()
    assert any("Saved as the corpus" in s.value for s in at.success)
    tagged = corpus.get_corpus(jobs.read_status(job).result["corpus"])
    name, data = downloads(at, "Download the tagged corpus")
    assert name == f"{tagged.id}.txt" and data == tagged.path.read_bytes() and b"/NNG" in data

    stopped = corpus_tagging.create_job(source.id, "kiwi")
    jobs.write_status(stopped, state="stopped", kind=corpus_tagging.TAGGING.name, created=0)
    at.session_state["tag_job"] = stopped.name
    started = recorded_starts(monkeypatch)
    at.run()
    at.button(key=f"resume-{stopped.name}").click().run()
    assert not at.exception and started == [(corpus_tagging.TAGGING.name, stopped)]
    running_as_this_process(stopped, corpus_tagging.TAGGING.name)
    at.run()
    at.button(key=f"stop-{stopped.name}").click().run()
    assert not at.exception and stop_was_requested(stopped)


# --- Embeddings -------------------------------------------------------------------------------------------


def test_embeddings_training_settings_reach_the_job(monkeypatch):
    from namuweb import config
    from namuweb.corpora import corpus
    from namuweb.embeddings import embedding_library
    from test_pages import planted_tagged_corpus
    planted_tagged_corpus()
    other = config.data_home() / "other.txt"
    other.write_text("고양이/Noun 가/Josa 밥/Noun 을/Josa 먹/Verb 었다/Eomi ./Punctuation\n" * 50, encoding="utf-8")
    second = corpus.add_file(other, "other · tagged", source="tagged", parent=None)
    kiwi = config.data_home() / "kiwi.txt"
    kiwi.write_text("고양이/NNG 가/JKS 밥/NNG 을/JKO 먹/VV 었/EP 다/EF ./SF\n" * 50, encoding="utf-8")
    third = corpus.add_file(kiwi, "kiwi · tagged", source="tagged", parent=None)
    started = recorded_starts(monkeypatch)
    at = page("embeddings").run()
    at.selectbox(key="tagged_corpus").set_value(third.id).run()
    leave_out = next(m for m in at.multiselect if m.label == "Leave out tokens tagged")
    assert leave_out.options == ["JKO", "JKS", "SF", "EF", "EP"]  # the corpus's own tagset (Kiwi's), not Okt's
    assert leave_out.value == ["JKO", "JKS", "SF"]  # particles and punctuation
    at.selectbox(key="tagged_corpus").set_value(second.id).run()
    leave_out = next(m for m in at.multiselect if m.label == "Leave out tokens tagged")
    assert leave_out.options == ["Josa", "Punctuation", "Eomi"] and leave_out.value == ["Josa", "Punctuation"]
    wanted = {"Dimensions": 12, "Window": 3, "Negatives": 4, "Min count": 2, "Epochs": 6, "Learning rate": 0.05,
              "Subsampling": 0.002, "Seed": 11}
    for label, value in wanted.items():
        next(n for n in at.number_input if n.label == label).set_value(value)
    next(m for m in at.multiselect if m.label == "Leave out tokens tagged").set_value(["Josa", "Eomi"])
    at.run()
    button(at, "Train embeddings").click().run()
    assert not at.exception and not at.error
    [entry] = embedding_library.entries()
    assert started == [("skipgram", entry.path)]
    settings = json.loads((entry.path / embedding_library.CONFIG_FILE).read_text())
    assert {k: settings[k] for k in ("corpus", "dimensions", "window", "negatives", "min_count", "epochs",
                                     "learning_rate", "subsample", "seed")} == {
        "corpus": second.id, "dimensions": 12, "window": 3, "negatives": 4, "min_count": 2, "epochs": 6,
        "learning_rate": 0.05, "subsample": 0.002, "seed": 11}
    assert sorted(settings["drop_tags"]) == ["Eomi", "Josa"]


def test_embeddings_stop_asks_the_training_to_stop():
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.skipgram import SkipGramConfig
    from test_pages import planted_tagged_corpus
    folder = embedding_library.create(SkipGramConfig(corpus=planted_tagged_corpus().id).validated())
    running_as_this_process(folder, embedding_library.SKIPGRAM.name)
    at = page("embeddings").run()
    at.button(key=f"stop-{folder.name}").click().run()
    assert not at.exception and stop_was_requested(folder)


@pytest.mark.engines  # the Tagger page tags its example with Okt
def test_embeddings_open_the_tagger_opens_it():
    at = app().run()
    at.switch_page("app_pages/embeddings.py").run()
    button(at, "Open the Tagger").click().run()
    assert not at.exception and at.title[0].value == "Morpheme tagger"


def test_embeddings_explorer_and_export(tmp_path, downloads):
    """An import through the page, the picker between two, and every explorer control against the vectors' own
    answers; the three export files are what the vectors write."""
    import numpy as np
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(1)
    words = [f"말{i}/{'Noun' if i % 2 else 'Verb'}" for i in range(120)]
    vectors = Embeddings(words, list(range(120, 0, -1)), rng.normal(size=(120, 8)).astype(np.float32))
    (tmp_path / "v.txt").write_bytes(vectors.word2vec_text())
    (tmp_path / "w.txt").write_bytes(
        Embeddings(words[:60], [1] * 60, rng.normal(size=(60, 4)).astype(np.float32)).word2vec_text())
    embedding_library.import_file((tmp_path / "w.txt").read_bytes(), "w.txt")
    at = page("embeddings").run()
    at.file_uploader(key="vectors_upload-0").upload("v.txt", (tmp_path / "v.txt").read_bytes(), "text/plain").run()
    imported = at.session_state["embeddings"]
    assert not at.exception and [s.value for s in at.success] == [
        f"Imported “{literal(embedding_library.get(imported).label)}”."]
    at.selectbox(key="embeddings").set_value(next(e.id for e in embedding_library.entries() if e.id != imported)).run()
    assert "60 words × 4 dimensions" in [c.value for c in at.caption]
    at.selectbox(key="embeddings").set_value(imported).run()
    assert "120 words × 8 dimensions" in [c.value for c in at.caption]

    at.selectbox(key="query").set_value("말3/Noun").run()
    next(n for n in at.number_input if n.label == "How many").set_value(4).run()
    assert at.dataframe[0].value["word"].tolist() == [w for w, _ in vectors.neighbors("말3/Noun", k=4)]
    at.selectbox(key="only_tag").set_value("Verb").run()
    assert at.dataframe[0].value["word"].tolist() == [w for w, _ in vectors.neighbors("말3/Noun", k=4, tag="Verb")]
    assert all(w.endswith("/Verb") for w in at.dataframe[0].value["word"])

    at.selectbox(key="sim_a").set_value("말5/Noun")
    at.selectbox(key="sim_b").set_value("말8/Verb").run()
    assert next(m.value for m in at.metric if m.label == "Cosine similarity") == \
        f"{vectors.similarity('말5/Noun', '말8/Verb'):.3f}"
    at.selectbox(key="an_a").set_value("말1/Noun")
    at.selectbox(key="an_b").set_value("말2/Verb")
    at.selectbox(key="an_c").set_value("말4/Verb").run()
    answers = at.dataframe[1].value
    assert answers["word"].tolist() == [w for w, _ in vectors.analogy(["말1/Noun", "말4/Verb"], ["말2/Verb"], k=10)]

    next(s for s in at.slider if s.label == "Most frequent words").set_value(60)
    next(b for b in at.button if b.label == "Draw the map").click().run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)  # the map: each point carries its row
    assert sum(len(trace.get("customdata") or []) for trace in figure["data"]) == 60

    vectors_tsv, metadata_tsv = vectors.projector_tsv()
    assert downloads(at, "vectors.tsv") == ("vectors.tsv", vectors_tsv)
    assert downloads(at, "metadata.tsv") == ("metadata.tsv", metadata_tsv)
    assert downloads(at, "word2vec text") == (f"{imported}.txt", vectors.word2vec_text())


# --- the inventory ----------------------------------------------------------------------------------

WIDGETS = {"button", "download_button", "form_submit_button", "link_button", "page_link", "toggle", "checkbox",
           "selectbox", "multiselect", "radio", "select_slider", "slider", "number_input", "text_input", "text_area",
           "date_input", "time_input", "color_picker", "file_uploader", "camera_input", "chat_input", "data_editor",
           "segmented_control", "pills", "feedback", "audio_input"}
# Elements that are controls only where the server hears them: a table or chart with on_select, tabs with on_change.
SELECTABLE = {"dataframe", "altair_chart", "vega_lite_chart", "plotly_chart", "pydeck_chart", "tabs"}
APP_FILES = sorted((ROOT / "app_pages").glob("*.py")) + [ROOT / "streamlit_app.py"]


def called_name(call: ast.Call) -> tuple[str, bool] | None:
    """(name, is a method) of what ``call`` calls: ``st.button`` / ``cols[0].button`` → ("button", True)."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr, True
    if isinstance(call.func, ast.Name):
        return call.func.id, False
    return None


def label_of(call: ast.Call, position: int = 0, keyword: str = "label", default: ast.expr | None = None):
    arg = call.args[position] if len(call.args) > position else next(
        (k.value for k in call.keywords if k.arg == keyword), default)
    return arg


def is_control(call: ast.Call, name: str) -> bool:
    keywords = {k.arg: k.value for k in call.keywords}
    if isinstance(keywords.get("disabled"), ast.Constant) and keywords["disabled"].value is True:
        return False  # shown for reading, never changed (the Vocabulary page's raw and jamo text boxes)
    return name in WIDGETS or (name in SELECTABLE and ("on_select" in keywords or "on_change" in keywords))


def wrappers(trees: dict[str, ast.Module]) -> dict[str, list[tuple[str, int, str, ast.expr | None]]]:
    """Functions that draw a widget labelled by one of their parameters (``corpus_picker(label, …)``,
    ``job_panel(…, stop_label="Stop")``, also a keyword-only one): each call of one is a control of the page
    that calls it.  Name → [(widget, parameter position, parameter name, its default), …]."""
    found = {}
    for tree in trees.values():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            params = [a.arg for a in function.args.args]
            defaults = dict(zip(params[len(params) - len(function.args.defaults):], function.args.defaults))
            keyword_only = [a.arg for a in function.args.kwonlyargs]
            defaults |= {a: d for a, d in zip(keyword_only, function.args.kw_defaults) if d is not None}
            for call in ast.walk(function):
                if isinstance(call, ast.Call) and (name := called_name(call)) and is_control(call, name[0]):
                    label = label_of(call)
                    if isinstance(label, ast.Name) and label.id in params + keyword_only:
                        position = params.index(label.id) if label.id in params else len(params) + 99  # by keyword
                        found.setdefault(function.name, []).append((name[0], position, label.id, defaults.get(label.id)))
    return found


def app_controls() -> dict[str, int]:
    """Every control the pages draw, as "file: widget label" → line; the same label twice in a file gets #2."""
    trees = {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in APP_FILES}
    wrapping = wrappers(trees)
    found = {}
    for file, tree in trees.items():
        inside_wrappers = {id(node) for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                           and function.name in wrapping for node in ast.walk(function)}
        for call in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: n.lineno):
            name = called_name(call)
            if name is None:
                continue
            if not name[1] and name[0] in wrapping and id(call) not in inside_wrappers:
                drawn = [(label_of(call, position, keyword, default), f"{name[0]} ({widget})")
                         for widget, position, keyword, default in wrapping[name[0]]]
            elif name[1] and is_control(call, name[0]) and id(call) not in inside_wrappers:
                # a table or chart is named by its key
                drawn = [(label_of(call, 99, "key") if name[0] in SELECTABLE else label_of(call), name[0])]
            else:
                continue
            for label, kind in drawn:
                if isinstance(label, ast.Constant) and label.value is None:
                    continue  # a helper's control that this call leaves out (job_panel without resume_label)
                text = label.value if isinstance(label, ast.Constant) else ast.unparse(label)
                control = f"{file}: {kind} {text}"
                number = 2
                while control in found:
                    control = f"{file}: {kind} {text} #{number}"
                    number += 1
                found[control] = call.lineno
    return found


def defined_tests(reference: str) -> bool:
    """Whether ``file.py::test_name`` (under tests/) names a test function that exists."""
    file, name = reference.split("::")
    path = TESTS / file
    return path.exists() and any(isinstance(node, ast.FunctionDef) and node.name == name
                                 for node in ast.parse(path.read_text(encoding="utf-8")).body)


def test_every_control_on_every_page_is_listed_with_a_test_that_exists():
    from controls_inventory import CONTROLS
    found = app_controls()
    assert not set(found) - set(CONTROLS), ("controls without a test: add each to tests/controls_inventory.py "
                                            f"with the test that clicks it: {sorted(set(found) - set(CONTROLS))}")
    assert not set(CONTROLS) - set(found), f"listed but no longer on a page: {sorted(set(CONTROLS) - set(found))}"
    assert all(CONTROLS.values()), [control for control, tests in CONTROLS.items() if not tests]
    missing = sorted({test for tests in CONTROLS.values() for test in tests if not defined_tests(test)})
    assert not missing, f"tests named in the inventory that do not exist: {missing}"


def test_the_inventory_finds_controls_however_they_are_drawn(tmp_path, monkeypatch):
    """The scan sees a method call on any container, a helper labelled by its parameter (with its default), a
    selectable table, and leaves out read-only boxes and tables nobody can select in."""
    page_file = tmp_path / "page.py"
    page_file.write_text('''
def picker(label, options, stop_label="Stop", *, more=None, again="Again"):
    st.selectbox(label, options)
    st.button(stop_label)
    st.button(more)
    st.button(again)
cols[0].button("Go", key="go")
picker("Corpus", [])
picker("Run", [], stop_label="Halt", more="More")
st.dataframe(table, key="rows", on_select="rerun")
st.dataframe(table, key="plain")
st.text_area("Raw", "x", disabled=True)
st.toggle("Fast")
st.toggle("Fast")
''', encoding="utf-8")
    monkeypatch.setitem(globals(), "APP_FILES", [page_file])
    assert list(app_controls()) == ["page.py: button Go", "page.py: picker (selectbox) Corpus",
                                    "page.py: picker (button) Stop", "page.py: picker (button) Again",
                                    "page.py: picker (selectbox) Run", "page.py: picker (button) Halt",
                                    "page.py: picker (button) More", "page.py: picker (button) Again #2",
                                    "page.py: dataframe rows",
                                    "page.py: toggle Fast", "page.py: toggle Fast #2"]
