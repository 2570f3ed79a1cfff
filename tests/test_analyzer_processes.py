"""The pages' taggers: each engine in worker processes, every request within a time limit."""

import os
import signal
import threading
import time

import pytest

from namuweb.morphemes import analyzers, analyzer_processes

SENTENCE = "아버지가방에들어가신다"
OKT_TAGS = [("아버지", "Noun"), ("가방", "Noun"), ("에", "Josa"), ("들어가신다", "Verb")]  # Okt, as the tutorial shows
LONG = "한국어 형태소 분석은 생각보다 재미있습니다. " * 800  # Okt needs well over 50 ms for it


@pytest.fixture(autouse=True, scope="module")
def workers_of_this_module():
    """The Okt tests below count Okt's workers, so they start from none. The other engines' workers, started
    by earlier tests on this xdist worker (tests/conftest.py), are used as they are: a JVM start is seconds."""
    analyzer_processes.shutdown("okt")
    yield
    analyzer_processes.shutdown()


def test_a_worker_tags_like_the_engine_in_this_process():
    assert analyzer_processes.pos(SENTENCE, "okt") == OKT_TAGS
    assert analyzer_processes.state("okt") == "ready"
    assert analyzer_processes.pos("  \n\t", "okt") == []


def test_a_request_past_its_limit_is_stopped_named_and_the_engine_restarted():
    analyzer_processes.pos(SENTENCE, "okt")  # a started worker: the limit counts the request, not Java's start
    started = time.monotonic()
    with pytest.raises(analyzer_processes.EngineGaveUp, match=r"Okt .* gave up: no answer within 0 s"):
        analyzer_processes.pos(LONG, "okt", timeout=0.05)
    assert time.monotonic() - started < 5, "the request was not cut at its limit"
    assert analyzer_processes.pos(SENTENCE, "okt") == OKT_TAGS  # a fresh worker answers


def test_a_hung_engine_blocks_neither_other_engines_nor_other_visitors():
    analyzer_processes.pos(SENTENCE, "okt")
    analyzer_processes.pos(SENTENCE, "kiwi")
    [hung] = analyzer_processes._idle["okt"]
    os.kill(hung.proc.pid, signal.SIGSTOP)  # from outside, exactly a hang: the worker never answers
    answers = []
    slow = threading.Thread(target=lambda: answers.append(analyzer_processes.pos(SENTENCE, "okt", timeout=60)), daemon=True)
    slow.start()
    try:
        for _ in range(100):  # the hung worker has the slow visitor's request
            if not analyzer_processes._idle["okt"]:
                break
            time.sleep(0.05)
        assert not analyzer_processes._idle["okt"]
        started = time.monotonic()
        assert analyzer_processes.pos(SENTENCE, "kiwi")  # another engine
        assert analyzer_processes.pos(SENTENCE, "okt") == OKT_TAGS  # another visitor: a second Okt worker
        assert time.monotonic() - started < 30
        assert slow.is_alive() and not answers, "the hung request ended, so this proved nothing"
    finally:
        os.kill(hung.proc.pid, signal.SIGCONT)
    slow.join(60)
    assert answers == [OKT_TAGS]  # the slow visitor still gets the answer once the engine moves


def test_a_crashed_worker_is_noticed_and_replaced():
    analyzer_processes.pos(SENTENCE, "okt")
    for worker in analyzer_processes._idle["okt"]:  # killed while idle: the next request must not go to a dead one
        worker.proc.kill()
        worker.proc.wait()
    assert analyzer_processes.pos(SENTENCE, "okt") == OKT_TAGS
    assert [w.alive() for w in analyzer_processes._idle["okt"]] == [True]


def test_a_worker_that_dies_on_a_request_is_reported_and_replaced(monkeypatch):
    analyzer_processes.pos(SENTENCE, "okt")
    worker = analyzer_processes._idle["okt"][-1]
    real_ask = worker.ask

    def ask_then_die(request, timeout):
        worker.proc.kill()  # as the kernel's OOM killer or a JVM crash would
        return real_ask(request, timeout)
    monkeypatch.setattr(worker, "ask", ask_then_die)
    with pytest.raises(analyzer_processes.EngineGaveUp, match=r"Okt .* crashed on this text .*signal 9.*restarted"):
        analyzer_processes.pos(SENTENCE, "okt")
    assert worker not in analyzer_processes._idle["okt"]
    assert analyzer_processes.pos(SENTENCE, "okt") == OKT_TAGS


def test_an_engine_that_cannot_start_is_unavailable_with_its_reason(monkeypatch):
    analyzer_processes.shutdown("hannanum")  # no worker started by an earlier test
    monkeypatch.setattr(analyzer_processes, "JVM_HEAP_MB", 1)  # the worker's JVM refuses to start with a 1 MB heap
    monkeypatch.setattr(analyzer_processes, "_failures", {})
    with pytest.raises(analyzers.EngineUnavailable, match="Hannanum could not start"):
        analyzer_processes.pos(SENTENCE, "hannanum")
    info = {e.name: e for e in analyzer_processes.engines()}["hannanum"]
    assert not info.available and "could not start" in info.reason
    started = time.monotonic()
    with pytest.raises(analyzers.EngineUnavailable, match="could not start"):  # said at once, no new worker
        analyzer_processes.pos(SENTENCE, "hannanum")
    assert time.monotonic() - started < 0.5 and analyzer_processes.state("hannanum") == "cold"
    monkeypatch.setattr(analyzer_processes, "RETRY_AFTER_S", 0.0)  # later it is tried again
    assert {e.name: e for e in analyzer_processes.engines()}["hannanum"].available


def test_kiwis_worker_is_bounded_in_memory(monkeypatch):
    """Kiwi runs outside the JVM, so its worker gets a data limit of its own: under a limit too small
    for its model it cannot start, and says so."""
    analyzer_processes.shutdown("kiwi")  # no Kiwi worker left from an earlier test
    monkeypatch.setattr(analyzer_processes, "NATIVE_DATA_MB", 200)  # the model alone needs more
    monkeypatch.setattr(analyzer_processes, "_failures", {})
    with pytest.raises(analyzers.EngineUnavailable, match=r"Kiwi .*could not start: .*bad_alloc"):
        analyzer_processes.pos(SENTENCE, "kiwi")
    monkeypatch.setattr(analyzer_processes, "NATIVE_DATA_MB", 3072)
    monkeypatch.setattr(analyzer_processes, "RETRY_AFTER_S", 0.0)
    assert analyzer_processes.pos(SENTENCE, "kiwi")  # the default leaves it room


@pytest.mark.parametrize("engine, text", [("komoran", "첫 줄입니다\n\t\n둘째 줄입니다"), ("komoran", "가\n "),
                                          ("hannanum", "대한민국\n ")])
def test_whitespace_only_lines_neither_crash_nor_hang_an_engine(engine, text):
    tokens = analyzer_processes.pos(text, engine, timeout=30)
    assert tokens and all(not form.isspace() for form, _ in tokens)
