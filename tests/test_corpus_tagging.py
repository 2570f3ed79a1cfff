"""Tagging a corpus as a job: the real subprocess, the library result, stop and resume.

Kiwi's output in a job is analyzers.tag_corpus's (test_analyzers.py); the job here runs Okt, as the tutorial does."""

import pytest

from namuweb.corpora import corpus

from namuweb import jobs

from namuweb.morphemes import corpus_tagging
from namuweb.cli import main
from polling import poll_until
from library_texts import add_text

TEXT = "나무위키 말뭉치를 만들어보자. 좋다.\n한국어 형태소 분석은 재미있습니다. 정말 재미있다\n\n끝.\n"


@pytest.fixture
def small_corpus():
    return add_text(TEXT.encode("utf-8"), "small.txt")


@pytest.mark.engines  # Okt in this process
def test_cli_tags_a_text_like_the_tutorial(capsys):
    assert main(["tag", "나무위키 말뭉치를 만들어보자"]) == 0
    assert capsys.readouterr().out.strip() == "나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb"
    assert main(["tag", "   "]) == 2
    assert "give some Korean text" in capsys.readouterr().err


@pytest.mark.engines  # Okt in this process
def test_cli_tag_corpus_adds_a_tagged_corpus_linked_to_its_source(small_corpus, tmp_path, capsys):
    assert main(["tag-corpus", small_corpus.id, "--engine", "okt"]) == 0
    tagged = [c for c in corpus.list_corpora() if c.source == "tagged"]
    assert len(tagged) == 1 and tagged[0].parent == small_corpus.id
    lines = tagged[0].read_text().splitlines()
    assert lines[0] == "나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb"
    assert all(len(line.split(" ")) > 1 for line in lines)  # one-token sentences ("좋다", "끝") are dropped
    assert "Okt" in tagged[0].name

    # The same text as a CP949 file: added to the library as the page's upload adds it, then tagged alike.
    source = tmp_path / "small-cp949.txt"
    source.write_bytes(TEXT.encode("cp949"))
    assert main(["tag-corpus", str(source), "--engine", "okt"]) == 0
    assert "small-cp949.txt: Converted from CP949 (EUC-KR) to UTF-8." in capsys.readouterr().err
    added = [c for c in corpus.list_corpora() if c.original_name == "small-cp949.txt"]
    assert len(added) == 1 and added[0].encoding == "cp949"
    again = [c for c in corpus.list_corpora() if c.source == "tagged" and c.parent == added[0].id]
    assert len(again) == 1 and again[0].read_text().splitlines() == lines


def test_only_one_tag_job_at_a_time(small_corpus):
    # Long enough that Okt is still tagging a second after its first progress line (progress is
    # written at most once a second), short enough to resume to the end quickly.
    big = add_text((TEXT * 1000).encode("utf-8"), "big.txt")
    first = corpus_tagging.create_job(big.id, "okt")
    jobs.start(corpus_tagging.TAGGING, first)
    try:
        with pytest.raises(jobs.JobBusy):
            jobs.start(corpus_tagging.TAGGING, corpus_tagging.create_job(small_corpus.id, "okt"))
        seen = poll_until(lambda: jobs.read_status(first).progress.extra.get("lines"), timeout=90, interval=0.3,
                          what="the tag job reporting its progress")
        assert seen > 0
        jobs.request_stop(first)
        assert jobs.wait(first, timeout=60).state == "stopped"
        assert "corpus" not in corpus_tagging.TAGGING.result(first)
        jobs.start(corpus_tagging.TAGGING, first)  # resume to the end
        assert jobs.wait(first, timeout=300).state == "finished", jobs.log_tail(first)
        tagged = corpus.get_corpus(jobs.read_status(first).result["corpus"])  # a corpus in the library
        assert tagged.parent == big.id and tagged.source == "tagged"
        assert len(tagged.read_text().splitlines()) == 1000 * 3
        assert not (first / corpus_tagging.OUTPUT).exists()  # moved into the library
    finally:
        jobs.request_stop(first)


def test_unknown_engine_is_refused(small_corpus):
    with pytest.raises(ValueError, match="unknown engine"):
        corpus_tagging.create_job(small_corpus.id, "nope")


@pytest.mark.engines  # Kkma in a tagger worker
def test_a_sentence_the_engine_hangs_on_is_left_out_at_its_time_limit_and_the_job_goes_on(isolated_home, monkeypatch):
    monkeypatch.setenv("NAMUWEB_TAGGER_TIMEOUT_S", "3")
    source = add_text(("나무위키 말뭉치를 만들어보자\n" + "하" * 300 + "\n한국어 형태소 분석은 재미있다\n").encode(),
                               "hang.txt")
    job_dir = corpus_tagging.create_job(source.id, "kkma")
    assert main(["tag-corpus", "--job-dir", str(job_dir)]) == 0  # the command line runs the job in the foreground
    tagged = corpus.get_corpus(jobs.read_status(job_dir).result["corpus"])
    lines = tagged.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[0].startswith("나무") and "분석" in lines[1]
    assert "1 sentence left out, past the engine's time limit (NAMUWEB_TAGGER_TIMEOUT_S)" in tagged.notice
