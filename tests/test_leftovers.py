"""Nothing left behind: a job of every kind that is refused at its start removes its folder (an
uploaded dump with it), and one that fails while running removes its partial outputs, keeping only
the record of why (its settings, status and log).  See namuweb/jobs/leftovers.py."""

import ast
import contextlib
import io
import json
import resource
import sys
from pathlib import Path

import pytest

from namuweb import config, jobs
from namuweb.corpora import corpus, downloads, uploads
from namuweb.embeddings import embedding_library, skipgram
from namuweb.jobs import STATUS_FILE, LOG_FILE
from namuweb.language_model import run_folder, runs, training
from namuweb.language_model.settings import TrainConfig
from namuweb.morphemes import corpus_tagging
from sleep_job import SLEEP, sleeper
from library_texts import add_text

ROOT = Path(__file__).resolve().parent.parent
TEXT = "가나다라 마바사 아자차카 타파하.\n" * 300
TINY = dict(embedding=64, units=128, layers=1, batch=8, seq_len=20, learning_rate=0.02, val_share=0.1)
WORDS = [f"낱말{n}/Noun" for n in range(3000)]


def tagged_corpus() -> corpus.Corpus:
    """A tagged library corpus with a vocabulary large enough for vectors of a few megabytes."""
    lines = (" ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(12)) for i in range(2000))
    text = tmp_text = config.data_home() / "tagged-source.txt"
    tmp_text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus.add_file(text, "tagged.txt", source="tagged")


def dump_bytes(documents: int = 300, broken: bool = False) -> bytes:
    """A Namuwiki JSON-lines dump; ``broken``: its last line is cut off in the middle of a record."""
    lines = [json.dumps({"namespace": "0", "title": f"문서 {n}", "text": "나무위키 문서의 본문입니다. " * 40},
                        ensure_ascii=False) for n in range(documents)]
    if broken:
        lines.append('{"namespace": "0", "title": "끊긴 문서", "text": "여기서')
    return ("\n".join(lines) + "\n").encode("utf-8")


# Every kind of job, and a new (never started) job folder of it, made as its page or command makes it.
KINDS = {
    "sleep": lambda tmp: (sleeper(job := config.data_home() / "jobs" / "sleep" / "job", 0.2), job),
    "train": lambda tmp: (training.TRAINING, runs.create_run(TrainConfig(
        corpus=add_text(TEXT.encode("utf-8"), "tiny.txt").id, preset="custom", epochs=None, steps=10,
        **TINY).validated())),
    "tag": lambda tmp: (corpus_tagging.TAGGING, corpus_tagging.create_job(corpus.BUILTIN_ID, "kiwi")),
    "skipgram": lambda tmp: (embedding_library.SKIPGRAM, embedding_library.create(
        skipgram.SkipGramConfig(corpus=tagged_corpus().id, epochs=1).validated())),
    "build-embeddings": lambda tmp: (embedding_library.BUILD, embedding_library.create_build(corpus.BUILTIN_ID, "kiwi")),
    "import": lambda tmp: (uploads.IMPORT, uploads.receive(io.BytesIO(dump_bytes()), "dump.jsonl").job_dir),
    "download": lambda tmp: (downloads.DOWNLOAD, downloads.create("namuwikitext-dev")),
}


def declared_kinds() -> set[str]:
    """The names of every ``JobKind(...)`` declared in the app and the tests' own sleep job."""
    names = set()
    for path in [*(ROOT / "namuweb").rglob("*.py"), ROOT / "tests" / "sleep_job.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "JobKind":
                names.add(node.args[0].value)
    return names


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_the_tests_cover_every_declared_kind():
    assert set(KINDS) == declared_kinds()


@pytest.mark.usefixtures("kill_leftover_workers")
@pytest.mark.parametrize("name", KINDS)
def test_a_first_start_whose_worker_cannot_start_removes_the_job_folder(name, isolated_home, tmp_path, monkeypatch):
    kind, job_dir = KINDS[name](tmp_path)
    assert (job_dir / kind.folders.settings_file).is_file()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))  # a server whose environment was removed
    with pytest.raises(jobs.JobError, match="could not start"):
        jobs.start(kind, job_dir)
    assert not job_dir.exists()
    assert not list((isolated_home / "jobs").glob("incoming/*"))  # nor an upload's staging


@pytest.mark.usefixtures("kill_leftover_workers")
def test_a_demo_import_refused_at_its_start_takes_its_uploaded_dump_with_it(isolated_home, tmp_path, monkeypatch):
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_JOBS", "1")
    other = isolated_home / "jobs" / "sleep" / "other"
    jobs.start(sleeper(other, 60), other)  # the demo's one job slot, held
    job_dir = uploads.receive(io.BytesIO(dump_bytes(20)), "dump.jsonl").job_dir
    assert (job_dir / "dump.jsonl").is_file()
    with pytest.raises(jobs.JobBusy, match="at most 1 background job"):
        jobs.start(uploads.IMPORT, job_dir)
    assert not job_dir.exists() and uploads.FOLDERS.all() == []
    jobs.request_stop(other)


def test_a_first_training_start_refused_by_its_check_removes_the_run_folder(isolated_home, tmp_path):
    kind, run_dir = KINDS["train"](tmp_path)
    corpus.delete_corpus(runs.Run(run_dir).config().corpus)
    with pytest.raises(runs.RunError, match="deleted"):
        jobs.start(kind, run_dir)
    assert not run_dir.exists() and run_folder.FOLDERS.all() == []


@pytest.mark.usefixtures("kill_leftover_workers")
def test_a_refused_resume_keeps_what_the_job_did_before(tmp_path, monkeypatch):
    job_dir = tmp_path / "job"
    jobs.start(sleeper(job_dir, 0.2), job_dir)
    assert jobs.wait(job_dir, timeout=30).state == "finished"
    before = files_in(job_dir)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(jobs.JobError, match="could not start"):
        jobs.start(SLEEP, job_dir)
    assert files_in(job_dir) == before


def test_a_refused_start_keeps_a_folder_holding_work_done_without_a_job(tmp_path, monkeypatch):
    """Domain code called directly (a test, a notebook) writes outputs but no status: they are not the start's."""
    job_dir = config.data_home() / "jobs" / "sleep" / "worked"
    sleeper(job_dir, 0.2)
    (job_dir / "vectors.npy").write_bytes(b"work")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(jobs.JobError, match="could not start"):
        jobs.start(SLEEP, job_dir)
    assert (job_dir / "vectors.npy").read_bytes() == b"work"


@contextlib.contextmanager
def disk_fills_at(size: int):
    """Processes spawned in this block cannot write a file past ``size`` bytes (RLIMIT_FSIZE, inherited by
    a worker as a disk quota would be): a write there fails with EFBIG, as on a full disk."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def fail_while_running(name: str, kind, job_dir: Path, monkeypatch, tmp_path) -> None:
    """Start the job so that it fails part-way, as it would on a full disk or a broken input."""
    if name == "sleep":
        sleeper(job_dir, 0.2, fail=True)
    elif name == "import":  # a dump malformed part-way, after many whole documents
        (job_dir / "dump.jsonl").write_bytes(dump_bytes(broken=True))
    elif name == "download":  # the catalogue's mirror has lost the file
        (tmp_path / "empty-mirror").mkdir()
        monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", str(tmp_path / "empty-mirror"))
    cap = {"tag": 64 << 10, "build-embeddings": 64 << 10, "train": 256 << 10, "skipgram": 256 << 10}.get(name)
    with disk_fills_at(cap) if cap else contextlib.nullcontext():
        jobs.start(kind, job_dir)


# What a failed job keeps: the record of why.  Beside these, its status and log.
RECORD = {
    "sleep": {"job.json"},
    "import": {"job.json"},
    "download": {"job.json"},
    "tag": {"job.json"},
    "build-embeddings": {"build.json", "meta.json"},
    "skipgram": {"config.json", "meta.json", "loss.jsonl"},
    "train": {"config.json", "vocab.json", "metrics.jsonl", "samples.jsonl"},
}


@pytest.mark.usefixtures("kill_leftover_workers")
@pytest.mark.parametrize("name", KINDS)
def test_a_job_that_fails_while_running_keeps_only_the_record_of_why(name, tmp_path, monkeypatch):
    kind, job_dir = KINDS[name](tmp_path)
    fail_while_running(name, kind, job_dir, monkeypatch, tmp_path)
    status = jobs.wait(job_dir, timeout=240)
    assert status.state == "failed", jobs.log_tail(job_dir)
    left = files_in(job_dir)
    record = RECORD[name] | {STATUS_FILE, LOG_FILE}
    if name == "train":  # finished checkpoints and the curves are the run's own, saved whole
        left = {f for f in left if not f.startswith("tensorboard/")
                and not (f.startswith("checkpoints/") and not Path(f).name.startswith("."))}
    assert record <= left | {"metrics.jsonl", "samples.jsonl"}, left
    assert left <= record, f"left behind: {sorted(left - record)}"
    assert kind.folders.read(job_dir) is not None and status.error
