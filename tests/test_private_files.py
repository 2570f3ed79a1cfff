"""The library keeps files private: the data directory is 0700 and every folder the app makes in it
0700, every file 0600 -- corpora (added, uploaded, downloaded), runs with their checkpoints,
embeddings, job logs and locks -- and ``corpora add`` refuses a file its owner has not let others
read (issue 31, item 7)."""

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from namuweb import config, jobs
from namuweb.corpora import corpus, downloads, uploads
from namuweb.embeddings import embedding_library, skipgram
from namuweb.language_model import runs, training
from namuweb.language_model.settings import TrainConfig
from corpus_server import write_mirror
from library_texts import add_text

ROOT = Path(__file__).resolve().parent.parent
KOREAN = "대한민국의 수도는 서울이다. 한국어 문장을 많이 씁니다.\n" * 20


def not_private(root: Path) -> list[str]:
    """Every folder under (and including) ``root`` that is not 0700 and every file that is not 0600."""
    wrong = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            wrong.append(f"{path.relative_to(root.parent)} {mode:04o}")
    return wrong


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    """``python -m namuweb ARGS`` as a user runs it, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "namuweb", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NAMUWEB_HOME": str(home)})


def test_the_data_directory_is_made_owner_only_and_an_open_one_is_closed(tmp_path, monkeypatch):
    fresh = tmp_path / "fresh" / "data"
    monkeypatch.setenv("NAMUWEB_HOME", str(fresh))
    assert stat.S_IMODE(config.data_home().stat().st_mode) == 0o700
    opened = tmp_path / "opened"
    opened.mkdir(mode=0o755)
    opened.chmod(0o755)
    monkeypatch.setenv("NAMUWEB_HOME", str(opened))
    assert stat.S_IMODE(config.data_home().stat().st_mode) == 0o700


def test_corpora_add_on_the_command_line_keeps_the_library_copy_private(tmp_path):
    source = tmp_path / "memo.txt"
    source.write_text(KOREAN, encoding="utf-8")
    source.chmod(0o644)  # a file anyone may read: shared on purpose
    home = tmp_path / "home"
    done = cli("corpora", "add", str(source), home=home)
    assert done.returncode == 0, done.stderr
    added = [c for c in corpus.list_corpora(home) if c.source == "upload"]
    assert len(added) == 1 and added[0].read_text() == KOREAN
    assert not_private(home) == []


def test_corpora_add_refuses_a_file_private_to_its_owner_and_says_how_to_add_it(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(KOREAN, encoding="utf-8")
    secret.chmod(0o640)  # as /etc/shadow: its owner and group only
    home = tmp_path / "home"
    refused = cli("corpora", "add", str(secret), home=home)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "is private to its owner" in refused.stderr and "mode 0640" in refused.stderr
    assert f"corpora add {secret} --allow-private" in refused.stderr
    assert [c.id for c in corpus.list_corpora(home)] == [corpus.BUILTIN_ID]
    tag_corpus = cli("tag-corpus", str(secret), "--engine", "kiwi", home=home)  # any command that adds a file
    assert tag_corpus.returncode == 2 and "--allow-private" in tag_corpus.stderr
    assert [c.id for c in corpus.list_corpora(home)] == [corpus.BUILTIN_ID]

    asked = cli("corpora", "add", str(secret), "--allow-private", home=home)
    assert asked.returncode == 0, asked.stderr
    assert [c.read_text() for c in corpus.list_corpora(home) if c.source == "upload"] == [KOREAN]
    assert not_private(home) == []


def test_an_upload_of_text_or_a_dump_is_stored_private(isolated_home):
    text = uploads.receive(io.BytesIO(KOREAN.encode("cp949")), "memo.txt")  # as the Corpora page stores it
    dump = json.dumps([{"namespace": "0", "title": "문서", "text": KOREAN}], ensure_ascii=False).encode("utf-8")
    job = uploads.receive(io.BytesIO(dump), "dump.json")
    assert text.corpus.read_text() == KOREAN and (job.job_dir / "dump.json").is_file()
    assert not_private(isolated_home) == []


@pytest.mark.usefixtures("kill_leftover_workers")
def test_a_training_run_with_its_checkpoints_and_log_is_private(isolated_home):
    source = add_text(KOREAN.encode("utf-8") * 10, "tiny.txt")
    run_dir = runs.create_run(TrainConfig(corpus=source.id, preset="custom", embedding=16, units=32, layers=1,
                                          batch=8, seq_len=20, learning_rate=0.02, val_share=0.1, epochs=None,
                                          steps=6).validated())
    jobs.start(training.TRAINING, run_dir)
    assert jobs.wait(run_dir, timeout=240).state in ("finished", "stopped"), jobs.log_tail(run_dir)
    assert runs.Run(run_dir).checkpoint_file().is_file()
    assert not_private(isolated_home) == []


@pytest.mark.usefixtures("kill_leftover_workers")
def test_trained_embeddings_are_private(isolated_home, tmp_path):
    words = [f"낱말{n}/Noun" for n in range(50)]
    tagged = tmp_path / "tagged.txt"
    tagged.write_text("".join(" ".join(words[(i + j) % 50] for j in range(8)) + "\n" for i in range(300)),
                      encoding="utf-8")
    source = corpus.add_file(tagged, "tagged", source="tagged")
    folder = embedding_library.create(skipgram.SkipGramConfig(corpus=source.id, epochs=1, min_count=1).validated())
    jobs.start(embedding_library.SKIPGRAM, folder)
    assert jobs.wait(folder, timeout=240).state == "finished", jobs.log_tail(folder)
    assert len(embedding_library.load(folder).words) == 50
    assert (folder / embedding_library.VECTORS_FILE).is_file()
    assert not_private(isolated_home) == []


@pytest.mark.usefixtures("kill_leftover_workers")
def test_a_downloaded_corpus_and_its_job_are_private(isolated_home, tmp_path, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", str(write_mirror(tmp_path / "mirror")))
    job_dir = downloads.create("bible-krv-1961")
    jobs.start(downloads.DOWNLOAD, job_dir)
    assert jobs.wait(job_dir, timeout=120).state == "finished", jobs.log_tail(job_dir)
    assert jobs.read_status(job_dir).result["corpus"]
    assert not_private(isolated_home) == []
