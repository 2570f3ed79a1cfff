"""File evaluations as the Evaluate tab runs them: in a worker process, with a time limit and progress,
cached for every visitor, capped in a demo."""

import os
import signal

import numpy as np
import pytest

from namuweb.embeddings import evaluation, evaluator
from namuweb.embeddings.vectors import Embeddings


def saved_vectors(folder, words: int = 300, dims: int = 12, seed: int = 0) -> Embeddings:
    rng = np.random.default_rng(seed)
    vectors = Embeddings([f"낱말{i}/Noun" for i in range(words)], list(range(words, 0, -1)),
                         rng.normal(size=(words, dims)).astype(np.float32))
    vectors.save(folder)
    return vectors


def analogy_file(words: int, questions: int, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    lines = []
    for number in range(questions):
        if number % 1000 == 0:
            lines.append(f": 묶음{number // 1000}")
        lines.append(" ".join(f"낱말{i}" for i in rng.integers(0, words, 4)))
    lines.append("낱말1 낱말2 낱말3 모르는말")
    return "\n".join(lines) + "\n"


def test_analogies_are_answered_in_a_worker_with_progress_and_the_same_figures(tmp_path):
    vectors = saved_vectors(tmp_path / "e")
    text = analogy_file(300, 3000)
    heard = []
    result = evaluator.evaluate("analogies", tmp_path / "e", text.encode(), progress=lambda *p: heard.append(p))
    here = evaluation.evaluate_word_analogies(vectors, text.splitlines())
    assert result.scores == here and not result.cached and not result.stopped_by_time_limit
    assert result.scores.unknown == [("낱말1 낱말2 낱말3 모르는말", ["모르는말"])]
    assert evaluator.worker_pids() and os.getpid() not in evaluator.worker_pids()  # it ran elsewhere
    done = [d for d, total in heard if total]
    assert done == sorted(done) and {total for _, total in heard} <= {0, 3000}  # the questions in vocabulary


def test_a_second_request_is_answered_from_the_cache_until_the_vectors_change(tmp_path):
    saved_vectors(tmp_path / "e")
    pairs = "".join(f"낱말{i}\t낱말{i + 1}\t{i % 7}\n" for i in range(200)).encode()
    assert evaluator.cached("pairs", tmp_path / "e", pairs) is None
    first = evaluator.evaluate("pairs", tmp_path / "e", pairs)
    again = evaluator.evaluate("pairs", tmp_path / "e", pairs)
    assert not first.cached and again.cached and again.scores == first.scores
    assert evaluator.cached("pairs", tmp_path / "e", pairs).cached  # what a page shows on its next run
    assert evaluator.cached("pairs", tmp_path / "e", pairs + b"# one more line\n") is None  # another file
    version = (tmp_path / "e" / "vectors.npy").stat().st_mtime_ns
    saved_vectors(tmp_path / "e", seed=9)  # new vectors in the same folder
    os.utime(tmp_path / "e" / "vectors.npy", ns=(version + 10**9, version + 10**9))
    changed = evaluator.evaluate("pairs", tmp_path / "e", pairs)
    assert not changed.cached and changed.scores.pearson != first.scores.pearson


def test_the_time_limit_ends_an_analogy_file_with_the_accuracy_so_far(tmp_path, monkeypatch):
    monkeypatch.setenv("NAMUWEB_EVALUATION_TIMEOUT_S", "0.001")
    vectors = saved_vectors(tmp_path / "e", words=2000)
    text = analogy_file(2000, 60_000)
    result = evaluator.evaluate("analogies", tmp_path / "e", text.encode())
    scores = result.scores
    block = evaluation.BLOCK_SCORES // 2000  # the worker checks the limit after each block
    assert result.stopped_by_time_limit and result.time_limit_s == 0.001
    assert scores.total.correct + scores.total.incorrect == block and scores.unscored == 60_000 - block
    first_block = text.splitlines()[:block + block // 1000 + 1]  # the questions and their section headers
    assert scores.total.correct == evaluation.evaluate_word_analogies(vectors, first_block).total.correct


def test_a_worker_that_overstays_its_time_limit_is_killed_and_replaced(tmp_path, monkeypatch):
    saved_vectors(tmp_path / "e")
    evaluator.stop_workers()
    evaluator.evaluate("pairs", tmp_path / "e", "낱말1\t낱말2\t3\n낱말3\t낱말4\t1\n".encode())
    [stuck] = evaluator.worker_pids()
    os.kill(stuck, signal.SIGSTOP)  # a worker that answers nothing, as a runaway one would
    try:
        with monkeypatch.context() as patched, \
                pytest.raises(evaluator.EvaluationError, match="took longer than 0.5 s and was stopped"):
            patched.setenv("NAMUWEB_EVALUATION_TIMEOUT_S", "0.5")
            patched.setattr(evaluator, "OVERSTAY_S", 0.5)
            evaluator.evaluate("analogies", tmp_path / "e", analogy_file(300, 50).encode())
    finally:
        if evaluator.worker_pids() == [stuck]:  # not killed: let it go on, so nothing stays stopped
            os.kill(stuck, signal.SIGCONT)
    assert stuck not in evaluator.worker_pids()
    # a fresh worker answers (its start is not held to the half-second limit)
    again = evaluator.evaluate("analogies", tmp_path / "e", analogy_file(300, 50).encode())
    assert not again.cached and again.scores.read == 51 and evaluator.worker_pids() != [stuck]


def test_a_demo_reads_only_the_first_questions_of_a_file(tmp_path, monkeypatch):
    saved_vectors(tmp_path / "e")
    text = analogy_file(300, 500).encode()
    whole = evaluator.evaluate("analogies", tmp_path / "e", text)
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS", "120")
    assert evaluator.cached("analogies", tmp_path / "e", text) is None  # the whole file's figures are not the demo's
    capped = evaluator.evaluate("analogies", tmp_path / "e", text)
    assert (capped.scores.read, capped.scores.in_file) == (120, 501) and whole.scores.read == 501
    assert capped.scores.total.correct + capped.scores.total.incorrect + capped.scores.total.unknown == 120
    pairs = "".join(f"낱말{i}\t낱말{i + 1}\t{i % 7}\n" for i in range(200)).encode()
    assert evaluator.evaluate("pairs", tmp_path / "e", pairs).scores.scored == 120
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS", "lots")
    with pytest.raises(ValueError, match="NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS must be a whole number"):
        evaluator.evaluate("analogies", tmp_path / "e", text)


def test_files_that_cannot_be_evaluated_are_refused_in_one_line(tmp_path):
    saved_vectors(tmp_path / "e")
    with pytest.raises(evaluator.FileRefused, match="comes before any ': section' header"):
        evaluator.evaluate("analogies", tmp_path / "e", b"a b c d\n")
    with pytest.raises(evaluator.FileRefused, match="comes before any"):  # the same answer, from the cache
        evaluator.evaluate("analogies", tmp_path / "e", b"a b c d\n")
    with pytest.raises(evaluator.EvaluationError, match="not UTF-8"):
        evaluator.evaluate("pairs", tmp_path / "e", "낱말1\t낱말2\t3\n".encode("utf-16"))
    with pytest.raises(evaluator.EvaluationError, match="larger than 5 MB"):
        evaluator.evaluate("pairs", tmp_path / "e", b"#" * (5 * 2**20 + 1))
    with pytest.raises(evaluator.EvaluationError, match="no vectors"):
        evaluator.evaluate("pairs", tmp_path / "nothing", b"a\tb\t1\n")


def test_the_bounds_a_visitor_reads_come_from_the_settings(monkeypatch):
    monkeypatch.delenv("NAMUWEB_DEMO", raising=False)
    monkeypatch.setenv("NAMUWEB_EVALUATION_TIMEOUT_S", "42")
    assert evaluator.file_bounds() == (f"UTF-8 text up to {evaluator.FILE_LIMIT_BYTES // 2**20} MB, evaluated in the "
                                       "background for at most 42 s.")
    assert evaluator.demo_bounds() is None
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS", "1200")
    assert evaluator.file_bounds().endswith(" This public demo reads the first 1,200 questions or pairs of a file.")
    assert evaluator.demo_bounds() == ("Public demo: an evaluation reads the first 1,200 questions or pairs of a file "
                                       "and stops after 42 s.")
