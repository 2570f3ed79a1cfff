"""Demo mode (NAMUWEB_DEMO=1): generation and exploration open; training, uploads and jobs limited;
renaming and deleting off — enforced in namuweb and shown on the pages."""

import io
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from namuweb import cli, config, jobs

from namuweb.corpora import corpus, uploads

from namuweb.embeddings import embedding_library

from namuweb.language_model import runs, session, trainer, training
from namuweb.language_model.settings import TrainConfig
from sleep_job import sleeper
from library_texts import add_text
from test_pages import shown_texts

ROOT = Path(__file__).resolve().parent.parent
KOREAN = "한국어 문장 하나.\n"


@pytest.fixture
def demo(monkeypatch):
    """Turn demo mode on (limits at their defaults unless a test sets them)."""
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    return monkeypatch


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "app_pages" / f"{name}.py"), default_timeout=120)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def notice_shown(at: AppTest) -> bool:
    return any("Public demo" in i.value for i in at.info)


def stored_uploads(home: Path) -> list[str]:
    folder = home / "corpora"
    return sorted(p.name for p in folder.iterdir() if p.name != corpus.BUILTIN_ID) if folder.exists() else []


# --- the settings ------------------------------------------------------------------------------------


def test_demo_mode_is_off_unless_switched_on(monkeypatch):
    assert not config.demo_settings()
    for value in ("0", "false", "off", ""):
        monkeypatch.setenv("NAMUWEB_DEMO", value)
        assert not config.demo_settings()
    for value in ("1", "true", "ON", " yes "):
        monkeypatch.setenv("NAMUWEB_DEMO", value)
        assert config.demo_settings().enabled
    monkeypatch.setenv("NAMUWEB_DEMO", "maybe")  # a public server must not guess
    with pytest.raises(ValueError, match="NAMUWEB_DEMO must be"):
        config.demo_settings()


def test_demo_limits_come_from_the_environment_and_bad_values_are_refused(demo):
    settings = config.demo_settings()
    assert (settings.max_steps, settings.max_corpus_bytes, settings.max_job_seconds) == (400, config.MB, 600.0)
    demo.setenv("NAMUWEB_DEMO_MAX_STEPS", "50")
    demo.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0.5")
    demo.setenv("NAMUWEB_DEMO_MAX_JOB_SECONDS", "30")
    settings = config.demo_settings()
    assert (settings.max_steps, settings.max_corpus_bytes, settings.max_job_seconds) == (50, config.MB // 2, 30.0)
    assert "50 steps" in settings.notice() and "0.5 MB" in settings.notice() and "30 s" in settings.notice()
    for name, bad in [("NAMUWEB_DEMO_MAX_STEPS", "-1"), ("NAMUWEB_DEMO_MAX_STEPS", "1.5"),
                      ("NAMUWEB_DEMO_MAX_CORPUS_MB", "lots"), ("NAMUWEB_DEMO_MAX_CORPUS_MB", "inf"),
                      ("NAMUWEB_DEMO_MAX_CORPUS_MB", "nan"), ("NAMUWEB_DEMO_MAX_JOB_SECONDS", "0")]:
        demo.setenv(name, bad)
        with pytest.raises(ValueError, match=name):
            config.demo_settings()
        demo.delenv(name)
    assert (settings.max_jobs, settings.max_jobs_per_session) == (2, 1)
    assert "at most 2 background jobs run at once (1 per visitor)" in settings.notice()
    demo.setenv("NAMUWEB_DEMO_MAX_JOBS", "0")
    with pytest.raises(ValueError, match="NAMUWEB_DEMO_MAX_JOBS must be at least 1"):
        config.demo_settings()
    demo.delenv("NAMUWEB_DEMO_MAX_JOBS")
    demo.setenv("NAMUWEB_DEMO_MAX_STEPS", "0")
    demo.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0")
    off = config.demo_settings()
    assert not off.training_allowed and not off.uploads_allowed
    assert "training is off" in off.notice() and "uploads are off" in off.notice()


def test_the_upload_limit_shrinks_to_the_demo_limit(demo):
    assert config.max_upload_bytes() == config.MB
    demo.setenv("NAMUWEB_MAX_UPLOAD_MB", "3")
    assert config.max_upload_bytes() == config.MB  # the demo's limit wins over a larger one
    demo.setenv("NAMUWEB_DEMO", "0")
    assert config.max_upload_bytes() == 3 * config.MB


# --- uploads ----------------------------------------------------------------------------------------


def test_uploads_over_the_demo_limit_are_refused_and_store_nothing(demo, isolated_home):
    demo.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0.01")  # 10 kB
    small = add_text(KOREAN.encode(), "small.txt")
    assert small.read_text() == KOREAN
    big = (KOREAN * 1000).encode()
    with pytest.raises(corpus.UploadTooLarge, match=r"is 24.4 kB; this demo accepts uploads of at most 10.2 kB"):
        add_text(big, "big.txt")
    with pytest.raises(corpus.CorpusError, match="limit"):
        uploads.receive(io.BytesIO(big), "big.txt")
    with pytest.raises(ValueError, match="this demo accepts"):
        embedding_library.import_file(b"1 2\n" + b"x 0.1 0.2\n" * 2000, "vectors.txt")
    assert stored_uploads(isolated_home) == [small.id]


def test_uploads_can_be_turned_off(demo, isolated_home):
    demo.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0")
    with pytest.raises(corpus.CorpusError, match="uploads are off in this demo"):
        add_text(KOREAN.encode(), "a.txt")
    with pytest.raises(corpus.CorpusError, match="uploads are off in this demo"):
        uploads.receive(io.BytesIO(KOREAN.encode()), "a.txt")
    with pytest.raises(ValueError, match="uploads are off in this demo"):
        embedding_library.import_file(b"1 2\nx 0.1 0.2\n", "vectors.txt")
    assert stored_uploads(isolated_home) == []
    assert embedding_library.entries() == []


# --- renaming and deleting -------------------------------------------------------------------------------


def test_renaming_and_deleting_are_off(demo):
    demo.setenv("NAMUWEB_DEMO", "0")
    stored = add_text(KOREAN.encode(), "keep.txt")
    run_dir = runs.create_run(TrainConfig.from_preset("builtin", "demo"))
    demo.setenv("NAMUWEB_DEMO", "1")
    with pytest.raises(corpus.CorpusError, match="renaming corpora is off in this demo"):
        corpus.rename_corpus(stored.id, "new name")
    with pytest.raises(corpus.CorpusError, match="deleting corpora is off in this demo"):
        corpus.delete_corpus(stored.id)
    with pytest.raises(runs.RunError, match="deleting runs is off in this demo"):
        runs.delete_run(run_dir)
    assert corpus.get_corpus(stored.id).name == "keep.txt"
    assert [r.path for r in runs.list_runs()] == [run_dir]


# --- training -------------------------------------------------------------------------------------------


def test_training_is_limited_to_the_demo_steps(demo, isolated_home):
    assert runs.create_run(TrainConfig.from_preset("builtin", "demo"))  # the quick demo: a 25 s budget, allowed
    with pytest.raises(runs.RunError, match="at most 600 s per run, and these settings ask for 601 s"):
        runs.create_run(TrainConfig.from_preset("builtin", "demo", max_seconds=601))
    with pytest.raises(runs.RunError, match="at most 400 steps per run, and these settings take 401"):
        runs.create_run(TrainConfig.from_preset("builtin", "demo", steps=401))
    with pytest.raises(runs.RunError, match="at most 400 steps"):
        runs.create_run(TrainConfig.from_preset("builtin", "custom", epochs=500, batch=8, seq_len=20))
    assert len(runs.run_dirs()) == 1  # a refused run leaves no folder
    demo.setenv("NAMUWEB_DEMO_MAX_STEPS", "0")
    with pytest.raises(runs.RunError, match="training is off in this demo"):
        runs.create_run(TrainConfig.from_preset("builtin", "demo"))


@pytest.mark.parametrize("settings", [dict(preset="demo"), dict(preset="tutorial"),
                                      dict(preset="custom", epochs=3, batch=7, seq_len=50, val_share=0.0),
                                      dict(preset="custom", epochs=2, steps=50, batch=16, seq_len=33)])
def test_planned_steps_match_the_trainers_own_count(settings):
    config = TrainConfig.from_preset("builtin", **settings)
    run_dir = runs.create_run(config)
    config, split = session.load_split(run_dir)
    run = runs.Run(run_dir)
    assert run.plan() == run.plan(tokens=split.tokens)  # the vocabulary's count, no pass over the corpus
    assert run.plan().per_epoch == len(split.train) // config.batch  # the batches the trainer cuts


def test_a_run_created_outside_the_demo_cannot_be_started_past_its_limit(demo):
    demo.setenv("NAMUWEB_DEMO", "0")
    run_dir = runs.create_run(TrainConfig.from_preset("builtin", "demo", steps=5000))
    demo.setenv("NAMUWEB_DEMO", "1")
    with pytest.raises(runs.RunError, match="at most 400 steps"):
        jobs.start(training.TRAINING, run_dir)
    assert jobs.read_status(run_dir) is None  # no job, no worker


def test_the_cli_refuses_training_past_the_demo_limit_in_one_line(demo, capsys):
    assert cli.main(["train", "--corpus", "builtin", "--steps", "1000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "this demo trains at most 400 steps" in err[0]
    assert runs.run_dirs() == []


def test_a_job_stops_at_the_demo_time_limit(demo, isolated_home):
    demo.setenv("NAMUWEB_DEMO_MAX_JOB_SECONDS", "0.5")
    job = isolated_home / "sleepy"
    started = time.monotonic()
    jobs.start(sleeper(job, 30), job)
    final = jobs.wait(job, timeout=20, poll=0.05)
    assert final.state == "stopped" and final.error == "stopped at this demo's limit of 0.5 s per job"
    assert time.monotonic() - started < 10
    quick = isolated_home / "quick"
    demo.setenv("NAMUWEB_DEMO_MAX_JOB_SECONDS", "30")
    jobs.start(sleeper(quick, 0.2), quick)
    assert jobs.wait(quick, timeout=20, poll=0.05).state == "finished"  # within the limit: untouched


# --- the pages ------------------------------------------------------------------------------------------


def test_train_page_shows_the_demo_and_refuses_settings_past_its_limit(demo):
    at = page("train").run()
    assert not at.exception and notice_shown(at)
    assert not button(at, "Train").disabled  # the quick demo (25 s) fits
    at.session_state["preset"] = "custom"
    at.run()
    next(r for r in at.radio if r.label == "Budget").set_value("epochs").run()
    next(n for n in at.number_input if n.label == "Epochs").set_value(200).run()
    assert any("this demo trains at most 400 steps" in e.value for e in at.error)
    assert button(at, "Train").disabled


def test_train_page_with_training_off(demo):
    demo.setenv("NAMUWEB_DEMO_MAX_STEPS", "0")
    at = page("train").run()
    assert not at.exception and notice_shown(at)
    assert any("training is off in this demo" in e.value for e in at.error)
    assert button(at, "Train").disabled


def test_corpora_page_turns_off_rename_and_delete_and_limits_uploads(demo):
    demo.setenv("NAMUWEB_DEMO", "0")
    stored = add_text(KOREAN.encode(), "mine.txt")
    demo.setenv("NAMUWEB_DEMO", "1")
    at = page("corpora")
    at.session_state["library_table"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert not at.exception and notice_shown(at)
    assert any("Up to 1 MB" in c.value for c in at.caption)
    at.text_input(key=f"name-{stored.id}").input("a new name").run()
    assert button(at, "Rename").disabled
    [delete] = at.get("popover")
    assert delete.proto.popover.disabled
    at.file_uploader[0].upload("big.txt", (KOREAN * 100_000).encode(), "text/plain").run()
    assert any("larger than the limit of 1 MB" in e.value for e in at.error)
    assert [c.id for c in corpus.list_corpora()] == [corpus.BUILTIN_ID, stored.id]


def test_pages_disable_uploads_when_they_are_off(demo):
    demo.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0")
    for name in ("corpora", "vocabulary", "embeddings"):
        at = page(name).run()
        assert not at.exception, name
        assert at.file_uploader and all(u.disabled for u in at.file_uploader), name


def test_pages_outside_demo_mode_show_no_notice_and_allow_everything():
    stored = add_text(KOREAN.encode(), "mine.txt")
    at = page("corpora")
    at.session_state["library_table"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert not notice_shown(at)
    at.text_input(key=f"name-{stored.id}").input("a new name").run()
    assert not button(at, "Rename").disabled and not at.get("popover")[0].proto.popover.disabled
    assert not at.file_uploader[0].disabled


def test_generate_page_stays_open_in_demo_mode(demo):
    demo.setenv("NAMUWEB_DEMO_MAX_STEPS", "0")
    at = page("generate").run()  # no model yet, and training off: the one-click demo is off too
    assert not at.exception and notice_shown(at)
    assert button(at, "Train the quick demo").disabled

    demo.setenv("NAMUWEB_DEMO", "0")
    source = add_text(("한국에서는 나무위키 말뭉치를 만들어보자.\n" * 150).encode("utf-8"), "tiny.txt")
    run_dir = runs.create_run(TrainConfig(corpus=source.id, preset="custom", embedding=12, units=16, batch=8,
                                          seq_len=20, learning_rate=0.02, epochs=None, steps=6).validated())
    trainer.train(run_dir)
    demo.setenv("NAMUWEB_DEMO", "1")
    at = page("generate").run()
    assert not at.exception and notice_shown(at)
    button(at, "Generate").click().run()
    assert not at.exception
    [text] = shown_texts(at)
    assert text.startswith("한국에서는") and len(text) > len("한국에서는")


def test_a_compressed_dump_is_limited_by_its_unpacked_size_in_demo_mode(demo, isolated_home):
    import gzip
    import json
    demo.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0.05")  # 51 kB
    articles = [{"namespace": 0, "title": f"문서 {i}", "text": "나무위키 문서의 본문입니다. " * 50} for i in range(200)]
    packed = gzip.compress(json.dumps(articles, ensure_ascii=False).encode())
    assert len(packed) < 0.05 * config.MB  # small enough to be accepted as an upload
    with pytest.raises(corpus.CorpusError, match=r"unpacked is larger than the limit of 0.05 MB"):
        uploads.receive(io.BytesIO(packed), "dump.json.gz")
    assert not uploads.FOLDERS.all() and stored_uploads(isolated_home) == []


# --- jobs of every kind together -------------------------------------------------------------------


def start_sleeper(home: Path, kind: str, owner: str) -> Path:
    """A stand-in job of ``kind`` (sleep_job.py) where that kind's folders live."""
    job_dir = home / "jobs" / kind / "one"
    with jobs.started_by(owner):
        jobs.start(sleeper(job_dir, 60, kind=kind), job_dir)
    return job_dir


def test_a_demo_caps_jobs_of_every_kind_together_and_per_visitor(demo, isolated_home, kill_leftover_workers):
    """One visitor cannot start one job of every kind back to back, nor can a room fill both cores."""
    first = start_sleeper(isolated_home, "tag", owner="visitor-1")
    assert jobs.read_status(first).owner == "visitor-1"
    with pytest.raises(jobs.JobBusy, match=r"1 background job per visitor at a time, and yours \(tag\)"):
        start_sleeper(isolated_home, "skipgram", owner="visitor-1")  # another kind, same visitor
    start_sleeper(isolated_home, "skipgram", owner="visitor-2")
    with pytest.raises(jobs.JobBusy, match="at most 2 background jobs at once and 2 are running now"):
        start_sleeper(isolated_home, "import", owner="visitor-3")
    assert jobs.read_status(isolated_home / "jobs" / "import" / "one") is None  # refused: nothing was queued

    jobs.request_stop(first)
    assert jobs.wait(first, timeout=60).state == "stopped"
    start_sleeper(isolated_home, "import", owner="visitor-3")  # a slot is free again
    assert len(jobs.active_everywhere()) == 2


def test_without_demo_mode_jobs_of_different_kinds_run_side_by_side(isolated_home, kill_leftover_workers):
    for kind in ("tag", "skipgram", "import"):
        start_sleeper(isolated_home, kind, owner="visitor-1")
    assert len(jobs.active_everywhere()) == 3
