"""The Generate and Inspect pages' model runs in sampler processes: the same text as in-process, the
calling thread only waits, a time limit, and a damaged model said as such."""

import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from namuweb import jobs
from namuweb.language_model import generate, inspection, runs, sampling
from polling import poll_until
from test_pages import tiny_trained_run, trained_once  # noqa: F401


def test_a_sampler_process_writes_the_same_text_as_the_generator_and_says_how_it_grows(tiny_trained_run):
    model = sampling.Model(tiny_trained_run)
    heard = []
    samples = model.stream("한국에서는", 300, [0.7, 1.3], seed=11, top_k=0, top_p=1.0, on_update=heard.append)
    *_, expected = generate.load_generator(tiny_trained_run).stream("한국에서는", 300, [0.7, 1.3], seed=11)
    assert [s.text for s in samples] == [s.text for s in expected] and all(s.continuation for s in samples)
    assert [s.stream for s in samples] == [s.stream for s in expected]
    for update in heard:  # each: the growing texts, and their last jamo
        assert len(update) == 2 and all(text.startswith("한국에서는") for text, _ in update)
    table = model.next_token_table("한국", 1.0, after=["ㅇ"])
    assert table == generate.load_generator(tiny_trained_run).next_token_table("한국", 1.0, after=["ㅇ"])
    assert model.written("한국", ["ㅇ", "ㅔ", "ᴥ"]) == "한국에"
    assert all(pid != os.getpid() for pid in sampling.POOL.pids())


def test_a_sampler_process_decodes_with_the_options_it_is_given(tiny_trained_run):
    from namuweb.language_model.decoding import Decoding
    model = sampling.Model(tiny_trained_run)
    generator = generate.load_generator(tiny_trained_run)
    for options in (Decoding(well_formed=False), Decoding(repetition_penalty=1.5, no_repeat_ngram=2, stop_at="line")):
        samples = model.stream("한국에서는", 120, [1.4, 0.6], seed=3, decoding=options)
        *_, expected = generator.stream("한국에서는", 120, [1.4, 0.6], seed=3, decoding=options)
        assert [s.stream for s in samples] == [s.stream for s in expected], options
        assert [s.repeated_4gram_share for s in samples] == [s.repeated_4gram_share for s in expected]


def test_the_calling_thread_only_waits_while_the_sampler_works(tiny_trained_run):
    model = sampling.Model(tiny_trained_run)
    wall, cpu = time.perf_counter(), time.process_time()
    model.stream("한국에서는", 1000, [1.0] * 4, seed=3)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    in_process = time.perf_counter()
    generate.load_generator(tiny_trained_run).generate("한국에서는", 1000, 1.0, samples=4, seed=3)
    in_process = time.perf_counter() - in_process
    assert cpu < 0.5 * in_process, (f"the server's process spent {cpu:.2f} s of CPU on a generation that takes "
                                    f"{in_process:.2f} s in-process ({wall:.2f} s through the sampler)")


def test_a_generation_past_its_time_limit_ends_in_one_line_and_a_fresh_sampler(tiny_trained_run, monkeypatch):
    model = sampling.Model(tiny_trained_run)
    before = set(sampling.POOL.pids())
    monkeypatch.setenv(sampling.TIME_LIMIT_ENV, "0.05")
    with pytest.raises(sampling.GenerationError, match=r"took longer than 0\.05 s and was stopped"):
        model.stream("한국에서는", 1000, [1.0] * 4, seed=3)
    monkeypatch.delenv(sampling.TIME_LIMIT_ENV)
    assert model.stream("한국", 20, [1.0], seed=1)[0].text.startswith("한국")
    assert set(sampling.POOL.pids()) != before, "the sampler that overstayed was replaced"


def test_a_damaged_checkpoint_is_said_as_such_from_the_sampler(tiny_trained_run):
    latest = runs.Run(tiny_trained_run).latest_checkpoint()
    checkpoint = runs.Run(tiny_trained_run).checkpoints_dir / latest["file"]
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])
    with pytest.raises(runs.RunError, match="is damaged"):
        sampling.Model(tiny_trained_run)


def test_inspecting_in_a_sampler_gives_what_inspecting_here_gives(tiny_trained_run):
    text = "한국에서는 나무위키 말뭉치를 만들어보자."
    there, here = sampling.inspect(tiny_trained_run, text), inspection.inspect(tiny_trained_run, text)
    assert there.bits_per_character == pytest.approx(here.bits_per_character)
    assert [(c.char, c.tokens, c.guesses) for c in there.characters] == [(c.char, c.tokens, c.guesses)
                                                                          for c in here.characters]
    assert there.trace.guesses == here.trace.guesses and there.trace.tokens == here.trace.tokens
    for mine, theirs in zip(there.trace.cells, here.trace.cells, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(there.trace.bits, here.trace.bits)
    assert not list(Path(tempfile.gettempdir()).glob("namuweb-inspection-*")), "the trace's file was read and removed"


def test_one_visitor_has_one_question_with_the_samplers_at_a_time(tiny_trained_run):
    model = sampling.Model(tiny_trained_run)
    heard = {"first": [], "second": []}
    ended = {}

    def ask(name: str) -> None:
        with jobs.started_by("browser:one-visitor"):  # every tab of one browser
            model.stream("한국에서는", 20_000, [1.0] * 4, seed=1,
                         on_update=lambda update: heard[name].append(time.monotonic()))
        ended[name] = time.monotonic()
    first = threading.Thread(target=ask, args=("first",))
    first.start()
    poll_until(lambda: heard["first"], timeout=30, what="the first question at work in a sampler")
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)
    assert heard["second"], "the second question was answered too"
    assert heard["second"][0] > ended["first"], "the visitor's second question began while the first was at work"
