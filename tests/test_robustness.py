"""Bad input, case by case: each gets one clear message (an exception for the pages, one stderr
line and exit code 2 for the CLI) and leaves what is already stored untouched.

Cases already proved elsewhere are not repeated here; docs/robustness.md cites those tests."""

import errno
import gzip
import io
import json
import shutil
import struct
import zipfile

import pytest

from namuweb.language_model import data as lm_data, generate, model as lm_model, run_folder, runs, settings as lm_settings, trainer, training

from namuweb import config, jobs, storage

from namuweb.corpora import corpus, uploads
from namuweb.language_model.settings import TrainConfig
from namuweb.cli import main
from namuweb.text.vocab import Vocabulary, load_vocab
from namuweb.text.vocab_report import report as vocab_report
from library_texts import add_text

TEXT = "한국에서는 나무위키 말뭉치를 만들어보자.\n" * 12


def one_error_line(capsys) -> str:
    """The CLI's stderr: exactly one line, no traceback; returned for matching."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def library_ids() -> list[str]:
    return [c.id for c in corpus.list_corpora()]


def make_saved_run(home):
    """A run folder with a real (untrained) checkpoint: cheap to make, and generation reads it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMUWEB_HOME", str(home))
        source = add_text(TEXT.encode("utf-8"), "tiny.txt")
        settings = TrainConfig(corpus=source.id, preset="custom", embedding=8, units=8, batch=4, seq_len=10,
                               epochs=None, steps=2).validated()
        run_dir = runs.create_run(settings)
        model = lm_model.build_model(load_vocab(runs.Run(run_dir).vocab_file).size, settings)
        lm_model.compile_model(model, settings)
        runs.Run(run_dir).save_checkpoint(model, 1, lm_settings.StepPlan(per_epoch=10, total=2))
    return run_dir


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    return make_saved_run(tmp_path_factory.mktemp("robustness-home"))


@pytest.fixture
def run_copy(saved_run, isolated_home):
    """A fresh copy of the saved run in this test's data directory (each test may damage its own)."""
    target = runs.runs_dir() / saved_run.name
    shutil.copytree(saved_run, target)
    return target


def checkpoint_file(run_dir):
    return runs.Run(run_dir).checkpoints_dir / runs.Run(run_dir).latest_checkpoint()["file"]


def truncate(path, keep: float = 0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


# --- 1. empty and whitespace-only text ------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_cli_tag_refuses_empty_and_whitespace_text(text, capsys):
    assert main(["tag", text]) == 2
    assert "give some Korean text to tag" in one_error_line(capsys)


def test_cli_vocab_refuses_a_whitespace_only_file(tmp_path, capsys):
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\t\n  ", encoding="utf-8")
    assert main(["vocab", str(blank)]) == 2
    assert "contains only whitespace" in one_error_line(capsys)  # the upload's words
    assert not (config.data_home() / "exports").exists()


# --- 3. generation start text: emoji, Latin only, the syllable mark ---------------------------


def test_start_text_with_the_syllable_mark_is_refused():
    vocab = Vocabulary(chars=["\n", "ㄱ", "ㅏ", "ᴥ"], counts=[1, 1, 1, 1])
    with pytest.raises(generate.StartTextError, match=r"ᴥ \(U\+1D25\), the end-of-syllable mark"):
        generate.prepare_start("가ᴥ", vocab)


def test_cli_generate_refuses_the_syllable_mark(run_copy, capsys):
    assert main(["generate", "--run", run_copy.name, "--start", "한국ᴥ", "--length", "5"]) == 2
    assert "end-of-syllable mark" in one_error_line(capsys)


@pytest.mark.parametrize("start, named", [("😀🎉", "'🎉', '😀'"), ("Hello", "'H', 'e', 'l', 'o'")])
def test_cli_generate_names_unknown_start_characters_and_still_generates(run_copy, capsys, start, named):
    assert main(["generate", "--run", run_copy.name, "--start", start, "--length", "5", "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and named in err and "skipped" in err
    assert "nothing of the start text is left" in err
    assert len(out) == 6 and out.endswith("\n")  # five new characters, and no trace of the start text


# --- 4. uploads: truncated or damaged archives, zip bombs in a zip ----------------------------


def encrypted_zip() -> bytes:
    """A zip whose member claims to be encrypted (zipfile can read but not write those)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "본문")
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at:at + 2] = struct.pack("<H", struct.unpack("<H", data[at:at + 2])[0] | 1)
    return bytes(data)


VARIED = "".join(chr(0xAC00 + i * 7919 % 11172) + " \n"[i % 7 == 0] for i in range(20_000))  # compresses little


def corrupt_deflate() -> bytes:
    data = bytearray(gzip.compress(VARIED.encode("utf-8")))
    data[len(data) // 2:len(data) // 2 + 16] = b"\xff" * 16
    return bytes(data)


@pytest.mark.parametrize("name, data", [
    ("cut.txt.gz", gzip.compress(VARIED.encode("utf-8"))[:20_000]),
    ("scrambled.txt.gz", corrupt_deflate()),
    ("locked.zip", encrypted_zip()),
], ids=["truncated-gzip", "corrupt-deflate", "encrypted-zip"])
def test_damaged_archives_are_refused_and_store_nothing(name, data, isolated_home):
    with pytest.raises(uploads.UploadError, match="truncated or damaged"):
        uploads.receive(io.BytesIO(data), name)
    assert library_ids() == [corpus.BUILTIN_ID]
    assert not any((isolated_home / "jobs" / "incoming").iterdir())


@pytest.mark.parametrize("member, cap_mb", [("bomb.txt", 1), ("bomb.json", 2)], ids=["text", "dump"])
def test_zip_bomb_inside_a_zip_stops_at_the_cap(member, cap_mb, monkeypatch, isolated_home):
    """Text may unpack to the upload limit, a dump to EXPANSION_LIMIT times it: no more is ever written."""
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", "1")
    monkeypatch.setattr(uploads, "EXPANSION_LIMIT", 2)
    written = []
    real_copy = uploads._copy_capped

    def copy_and_measure(source, target, limit, what):
        try:
            return real_copy(source, target, limit, what)
        finally:
            written.append(target.stat().st_size)
    monkeypatch.setattr(uploads, "_copy_capped", copy_and_measure)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"a" * (5 * config.MB))
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(uploads.UploadError, match=f"larger than the limit of {cap_mb} MB"):
        uploads.receive(io.BytesIO(buffer.getvalue()), "bomb.zip")
    assert written[-1] <= cap_mb * config.MB, f"{written[-1]:,} bytes unpacked before the refusal"
    assert library_ids() == [corpus.BUILTIN_ID]
    assert not any((isolated_home / "jobs" / "incoming").iterdir())


# --- 5. hostile names -----------------------------------------------------------------------


@pytest.mark.parametrize("name, message", [
    ("x\x00y", "control characters"),
    ("줄\n바꿈", "control characters"),
    ("가" * 300, "at most 100 characters; this one has 300"),
])
def test_rename_refuses_control_characters_and_overlong_names(name, message):
    stored = add_text("가나다".encode(), "a.txt")
    with pytest.raises(corpus.CorpusError, match=message):
        corpus.rename_corpus(stored.id, name)
    assert corpus.get_corpus(stored.id).name == "a.txt"


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", "/"])
def test_rename_with_slashes_only_changes_the_display_name(name, isolated_home):
    stored = add_text("가나다".encode(), "a.txt")
    library_ids()  # the built-in corpus, written on first listing
    before = sorted(p.relative_to(isolated_home) for p in isolated_home.rglob("*"))
    renamed = corpus.rename_corpus(stored.id, name)
    assert renamed.name == name and renamed.path == stored.path
    assert sorted(p.relative_to(isolated_home) for p in isolated_home.rglob("*")) == before


@pytest.mark.parametrize("args, message", [
    (["train", "--corpus", "x" * 300], "is neither a file nor a library corpus"),
    (["train", "--corpus", "a\x00b"], "is neither a file nor a library corpus"),
    (["train", "--corpus", "builtin", "--run-dir", "runs/a\x00b"], "contains a NUL character"),
    (["train", "--corpus", "builtin", "--run-dir", "x" * 300], "longer than 255 bytes"),
    (["train", "--run-dir", "x" * 300], "longer than 255 bytes"),
    (["generate", "--run", "../../etc"], "no run '../../etc'"),
    (["generate", "--run", "a\x00b"], "no run"),
    (["generate", "--run", "r" * 300], "no run 'rrrr"),
    (["evaluate", "../corpora/builtin"], "no run"),
    (["stop", "/"], "no run '/'"),
    (["neighbors", "--embeddings", "../x", "국민"], "no embeddings named '../x'"),
    (["tag-corpus", "--job-dir", "y" * 300], "is not a tagging job"),
    (["skipgram", "--job-dir", "../../etc"], "is not a skip-gram job"),
])
def test_cli_hostile_names_are_one_line_and_touch_nothing(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    assert main(args) == 2
    err = one_error_line(capsys)
    assert message in err and len(err) < 400
    after = [p for p in sorted(tmp_path.rglob("*")) if p not in before]
    home = config.data_home()
    assert all(p == home or p.is_relative_to(home) for p in after), after
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_cli_train_refuses_a_run_dir_that_holds_other_files(tmp_path, capsys):
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("keep me", encoding="utf-8")
    assert main(["train", "--corpus", "builtin", "--run-dir", str(folder)]) == 2
    assert "exists and holds no run" in one_error_line(capsys)
    assert [p.name for p in folder.iterdir()] == ["letter.txt"]


# --- 6. settings out of range -----------------------------------------------------------------


@pytest.mark.parametrize("flags, message", [
    (["--seq-len", "1000000"], "seq len must be between 2 and 10000, not 1000000"),
    (["--learning-rate", "-0.1"], "learning rate must be between 1e-07 and 1, not -0.1"),
    (["--layers", "99"], "layers must be between 1 and 8, not 99"),
    (["--units", "8192", "--layers", "8", "--batch", "4096", "--seq-len", "10000"], "too large for this machine"),
])
def test_cli_train_refuses_settings_out_of_range_before_any_run(flags, message, capsys):
    assert main(["train", "--corpus", "builtin", "--preset", "custom", "--steps", "1", *flags]) == 2
    assert message in one_error_line(capsys)
    assert runs.list_runs() == []


def test_memory_check_names_what_is_needed_and_what_there_is():
    huge = TrainConfig(corpus="c", units=8192, layers=8, batch=4096, seq_len=10_000).validated()
    with pytest.raises(lm_settings.TooLargeForMemory, match=r"need about [\d,.]+ GiB .* this machine has 16\.0 GiB"):
        lm_settings.check_memory(156, huge, available=16 * 2**30)
    lm_settings.check_memory(156, TrainConfig.from_preset("c", "tutorial"), available=2 * 2**30)  # the tutorial fits


@pytest.mark.parametrize("flags, message", [
    (["--dimensions", "0"], "dimensions must be a whole number between 1 and 1000, not 0"),
    (["--window", "99"], "window must be a whole number between 1 and 20, not 99"),
    (["--learning-rate", "-1"], "learning rate must be a number between 1e-05 and 1, not -1.0"),
    (["--batch", "0"], "batch must be a whole number between 16 and 1048576, not 0"),
])
def test_cli_skipgram_refuses_settings_out_of_range(flags, message, capsys, isolated_home):
    assert main(["skipgram", "--corpus", "builtin", *flags]) == 2
    assert message in one_error_line(capsys)
    assert not (isolated_home / "embeddings").exists() or not any((isolated_home / "embeddings").iterdir())


# --- 7. a corpus too small for one batch ----------------------------------------------------


def test_too_small_names_tokens_needed_and_available():
    tutorial = TrainConfig.from_preset("c", "tutorial")
    needed = lm_settings.tokens_needed(tutorial)
    assert needed == 105 * 301  # 100 training chunks of 301 tokens, and 5 (5% of 105, rounded) held out
    with pytest.raises(lm_settings.CorpusTooSmall, match=f"needs at least {needed:,} tokens, and this corpus has 500"):
        lm_settings.check_corpus_size(500, tutorial)
    lm_settings.check_corpus_size(needed, tutorial)
    split = lm_data.Split.of(__import__("numpy").zeros(needed, dtype="uint8"), 300, 0.05, 100)
    assert len(split.train) == 100  # the check and the real split agree at the boundary
    with pytest.raises(lm_settings.CorpusTooSmall, match=f"has {needed - 1:,}"):
        lm_data.Split.of(__import__("numpy").zeros(needed - 1, dtype="uint8"), 300, 0.05, 100)


def test_cli_train_on_a_tiny_file_says_so_before_storing_anything(tmp_path, capsys):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("가나다라", encoding="utf-8")
    assert main(["train", "--corpus", str(tiny), "--preset", "tutorial"]) == 2
    err = one_error_line(capsys)
    assert "needs at least 31,605 tokens, and this corpus has 12" in err
    assert library_ids() == [corpus.BUILTIN_ID] and runs.list_runs() == []


# --- 8. a vocabulary that does not belong to the model -----------------------------------------


def test_generate_refuses_a_vocabulary_of_another_model(run_copy, capsys):
    other = vocab_report("완전히 다른 글 " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2).vocab
    assert other.size != load_vocab(runs.Run(run_copy).vocab_file).size
    other.save(runs.Run(run_copy).vocab_file)
    with pytest.raises(generate.CheckpointError, match="does not belong to this model"):
        generate.load_generator(run_copy)
    assert main(["generate", "--run", run_copy.name, "--length", "5"]) == 2
    assert "vocab.json has" in one_error_line(capsys)


# --- 9. a checkpoint damaged on disk --------------------------------------------------------------


def test_generate_says_a_truncated_checkpoint_is_damaged(run_copy, capsys):
    truncate(checkpoint_file(run_copy))
    with pytest.raises(generate.CheckpointError, match="step-00000001.keras is damaged"):
        generate.load_generator(run_copy)
    assert main(["generate", "--run", run_copy.name, "--length", "5"]) == 2
    assert "is damaged (truncated or not a complete Keras archive" in one_error_line(capsys)
    assert checkpoint_file(run_copy).exists()  # refused, not deleted


def test_resume_falls_back_past_a_truncated_checkpoint_or_says_none_is_left(isolated_home, capsys):
    from namuweb.language_model import trainer
    from namuweb.text.vocab_report import report
    source = add_text(("가나다라 마바사.\n" * 7).encode("utf-8"), "tiny.txt")
    settings = TrainConfig(corpus=source.id, preset="custom", embedding=8, units=8, batch=4, seq_len=10,
                           val_share=0.0, epochs=None, steps=1)
    per_epoch = lm_settings.step_plan(settings, report(source).tokens).per_epoch
    assert 1 <= per_epoch <= 4
    settings.steps = 2 * per_epoch
    run_dir = runs.create_run(settings.validated())
    trained = lambda: len(runs.Run(run_dir).metrics().dropna(subset=["loss"]))  # noqa: E731
    trainer.train(run_dir, should_stop=lambda: trained() >= per_epoch)  # a checkpoint at the stop…
    trainer.train(run_dir)  # … and one at the end
    names = [p.name for _, p in runs.Run(run_dir).checkpoint_files()]
    assert len(names) == 2
    newest = runs.Run(run_dir).checkpoints_dir / names[0]
    truncate(newest)

    assert main(["train", "--run-dir", str(run_dir)]) == 0
    err = capsys.readouterr().err
    assert f"{names[0]} is damaged" in err and f"resuming from the intact checkpoint at step {per_epoch}" in err
    assert newest.with_name(names[0] + ".damaged").exists()  # kept aside, not deleted
    assert run_folder.verify(newest) is None and runs.Run(run_dir).latest_checkpoint()["step"] == 2 * per_epoch
    steps = runs.Run(run_dir).metrics().dropna(subset=["loss"])["step"].tolist()
    assert steps == list(range(1, 2 * per_epoch + 1))  # replayed from the fallback, no duplicates

    for _, path in runs.Run(run_dir).checkpoint_files():
        truncate(path)
    assert main(["train", "--run-dir", str(run_dir)]) == 2
    err = one_error_line(capsys)
    assert "no intact checkpoint is left, so this run cannot resume" in err
    assert "cannot resume" in runs.run_info(run_dir).status.error  # what the Train page shows
    assert len(runs.Run(run_dir).checkpoint_files()) == 2  # nothing moved or deleted


# --- 10. disk full, data directory read-only ----------------------------------------------------


def fail_with(code):
    def fail(*args, **kwargs):
        raise OSError(code, __import__("os").strerror(code))
    return fail


@pytest.mark.parametrize("stage", ["folder", "text", "meta"])
def test_a_failed_write_stores_nothing_and_says_why(stage, monkeypatch, isolated_home):
    library_ids()  # the built-in corpus exists before the disk "fills up"
    real_open = open

    def open_failing_writes(file, mode="r", *args, **kwargs):
        if "w" in mode:
            real_open(file, mode, *args, **kwargs).close()  # the file appears, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    with monkeypatch.context() as patch:
        if stage == "folder":
            patch.setattr(corpus, "_corpora_dir", fail_with(errno.EROFS))
        elif stage == "text":  # the decoded text is written through storage.atomic_file
            patch.setattr(storage, "open", open_failing_writes, raising=False)
        else:
            patch.setattr(corpus, "_write_atomic", fail_with(errno.ENOSPC))
        with pytest.raises(corpus.StorageError) as caught:
            uploads.receive(io.BytesIO("한국어 말뭉치\n".encode("utf-8")), "memo.txt")
    message = str(caught.value)
    assert "memo.txt" in message and "Nothing was stored" in message
    assert ("read-only" if stage == "folder" else "disk is full") in message
    assert library_ids() == [corpus.BUILTIN_ID]
    assert sorted(p.name for p in (isolated_home / "corpora").iterdir()) == [corpus.BUILTIN_ID]
    assert not any((isolated_home / "jobs" / "incoming").iterdir())


def test_a_failed_rename_keeps_the_old_name(monkeypatch):
    stored = add_text("가나다".encode(), "a.txt")
    library_ids()
    with monkeypatch.context() as patch:
        patch.setattr(corpus, "_write_atomic", fail_with(errno.EROFS))
        with pytest.raises(corpus.StorageError, match="read-only"):
            corpus.rename_corpus(stored.id, "새 이름")
    assert corpus.get_corpus(stored.id).name == "a.txt"


def test_a_job_output_survives_a_failed_move_into_the_library(monkeypatch, isolated_home):
    library_ids()
    output = isolated_home / "tagged.txt"
    output.write_text("나무/Noun 위키/Noun\n", encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(corpus, "_write_atomic", fail_with(errno.ENOSPC))
        with pytest.raises(corpus.StorageError, match="disk is full"):
            corpus.add_file(output, "tagged", source="tagged")
    assert output.read_text(encoding="utf-8") == "나무/Noun 위키/Noun\n"  # still there for a retry
    assert library_ids() == [corpus.BUILTIN_ID]


def test_a_dump_upload_on_a_full_disk_leaves_no_job(monkeypatch, isolated_home):
    with monkeypatch.context() as patch:
        patch.setattr(storage, "write_json", fail_with(errno.ENOSPC))
        with pytest.raises(corpus.StorageError, match="disk is full"):
            uploads.receive(io.BytesIO(b'{"title": "a", "text": "b", "namespace": 0}\n'), "dump.jsonl")
    assert uploads.FOLDERS.all() == []
    assert not any((isolated_home / "jobs" / "incoming").iterdir())


def test_cli_says_the_data_directory_is_read_only(tmp_path, monkeypatch, capsys):
    library_ids()
    text = tmp_path / "memo.txt"
    text.write_text("한국어 말뭉치 " * 4000, encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(corpus, "_write_atomic", fail_with(errno.EROFS))
        assert main(["train", "--corpus", str(text), "--steps", "1"]) == 2
    assert "the data directory is read-only" in one_error_line(capsys)
    assert library_ids() == [corpus.BUILTIN_ID] and runs.list_runs() == []


# --- a deleted corpus still referenced by a run ------------------------------------------------


def test_a_run_outlives_its_deleted_corpus_but_says_why_it_cannot_resume(isolated_home, capsys):
    import os
    from namuweb import jobs
    from namuweb import registry
    run_dir = make_saved_run(isolated_home)
    source = runs.Run(run_dir).config().corpus

    found = registry.corpus_usage(source)
    assert found.users == {"train": [run_dir.name]} and not found.active
    assert "can no longer resume" in found.warning()
    registry.delete_corpus(source)
    assert source not in library_ids()

    samples = generate.load_generator(run_dir).generate("한국", 20, 0.8, seed=1)
    assert len(samples[0].continuation) == 20  # a model carries its own vocabulary

    with pytest.raises(runs.RunError, match="has been deleted.*still generates"):
        jobs.start(training.TRAINING, run_dir)
    assert jobs.read_status(run_dir) is None, "no job may start on a deleted corpus"
    for args in (["train", "--run-dir", str(run_dir)], ["evaluate", run_dir.name]):
        assert main(args) == 2
        assert "has been deleted" in one_error_line(capsys)
    assert os.listdir(runs.Run(run_dir).checkpoints_dir), "the run's checkpoints are kept"


def test_a_corpus_a_job_is_reading_is_not_deleted(isolated_home):
    import os
    from namuweb import jobs
    from namuweb.morphemes import corpus_tagging
    from namuweb import registry
    source = add_text(TEXT.encode("utf-8"), "reading.txt")
    job = corpus_tagging.create_job(source.id, "kiwi")
    jobs.write_status(job, state="running", kind=corpus_tagging.TAGGING.name, created=0, pid=os.getpid(),
                      pid_start=jobs.state.pid_start(os.getpid()))  # this test process plays the worker
    assert registry.corpus_usage(source.id).active == [f"tagging job {job.name}"]
    with pytest.raises(corpus.CorpusError, match="is reading this corpus now"):
        registry.delete_corpus(source.id)
    assert source.id in library_ids()


def test_deleting_a_corpus_names_the_embeddings_built_from_it_which_keep_their_vectors(isolated_home):
    """A build's embeddings outlive their corpus: the usage names them by their label, the warning counts them."""
    from namuweb import registry
    from namuweb.embeddings import embedding_library
    source = add_text(TEXT.encode("utf-8"), "기사.txt")
    folder = embedding_library.create_build(source.id, "kiwi")
    label = storage.read_json(folder / embedding_library.META_FILE)["name"]

    found = registry.corpus_usage(source.id)
    assert found.users == {"build-embeddings": [f"“{label}”"]} and not found.active
    assert found.warning() == "1 embedding set(s) keep their vectors."
    registry.delete_corpus(source.id)
    assert folder.is_dir() and source.id not in library_ids()
