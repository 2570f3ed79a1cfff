"""The Embeddings page's Evaluate buttons: figures from the worker, the cache another visitor gets, the time
limit's message, the demo's cap, and what could not be scored, named."""

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def imported_vectors(tmp_path, words: int = 300):
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(0)
    vectors = Embeddings([f"말{i}/Noun" for i in range(words)], list(range(words, 0, -1)),
                         rng.normal(size=(words, 8)).astype(np.float32))
    (tmp_path / "v.txt").write_bytes(vectors.word2vec_text())
    embedding_library.import_file((tmp_path / "v.txt").read_bytes(), "v.txt")
    return vectors


def analogies(words: int, questions: int, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    lines = [": 첫째"] + [" ".join(f"말{i}" for i in rng.integers(0, words, 4)) for _ in range(questions)]
    return ("\n".join(lines + ["말1 말2 말3 없는말", "말4 모름 말5 말6"]) + "\n").encode()


def embeddings_page() -> AppTest:
    return AppTest.from_file(str(ROOT / "app_pages" / "embeddings.py"), default_timeout=120).run()


def upload(at: AppTest, label: str, name: str, data: bytes) -> AppTest:
    return next(u for u in at.file_uploader if u.label.startswith(label)).upload(name, data, "text/plain").run()


def section_table(at: AppTest):
    return next(d.value for d in at.dataframe if "section" in d.value.columns)


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in (at.caption, at.info, at.warning, at.error) for e in kind)


def test_evaluate_analogies_shows_sections_names_what_was_skipped_and_serves_the_next_visitor_from_the_cache(tmp_path):
    from namuweb.embeddings import evaluation
    vectors = imported_vectors(tmp_path)
    data = analogies(300, 400)
    at = embeddings_page()
    upload(at, "Analogies", "q.txt", data)
    assert not any("section" in d.value.columns for d in at.dataframe)  # nothing runs before the click
    at.button(key="evaluate_analogies").click().run()
    assert not at.exception and not at.error
    expected = evaluation.evaluate_word_analogies(vectors, data.decode().splitlines())
    table = section_table(at)
    assert table["correct"].tolist() == [expected.sections[0].correct, expected.total.correct]
    assert table["out of vocabulary"].tolist() == [2, 2]
    skipped = next(d.value for d in at.dataframe if "question" in d.value.columns)
    assert skipped["question"].tolist() == ["말1 말2 말3 없는말", "말4 모름 말5 말6"]
    assert skipped["not in the vocabulary"].tolist() == ["없는말", "모름"]
    assert "shown from the cache" not in texts(at)
    other = embeddings_page()  # another visitor with the same file: the figures at once, no click
    upload(other, "Analogies", "same.txt", data)
    assert not other.exception
    assert section_table(other).equals(table) and "shown from the cache" in texts(other)


def test_evaluate_word_pairs_names_the_pairs_out_of_vocabulary(tmp_path):
    imported_vectors(tmp_path)
    pairs = "".join(f"말{i}\t말{i + 1}\t{i % 5}\n" for i in range(50)) + "없는말\t말1\t2\n말2\t모름\t1\n"
    at = embeddings_page()
    upload(at, "Word pairs", "pairs.tsv", pairs.encode())
    at.button(key="evaluate_pairs").click().run()
    assert not at.exception and not at.error
    assert next(m.value for m in at.metric if m.label == "Pairs scored") == "50"
    skipped = next(d.value for d in at.dataframe if "pair" in d.value.columns)
    assert skipped["not in the vocabulary"].tolist() == ["없는말", "모름"]
    assert "Not scored, a word out of vocabulary: 2 pairs" in texts(at)


def test_the_time_limit_ends_a_large_analogy_file_with_a_plain_message_and_partial_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("NAMUWEB_EVALUATION_TIMEOUT_S", "0.001")
    imported_vectors(tmp_path, words=2000)
    at = embeddings_page()
    upload(at, "Analogies", "big.txt", analogies(2000, 60_000))
    at.button(key="evaluate_analogies").click().run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "time limit" in w.value)
    assert "The time limit (0.001 s) ended this evaluation" in warning and "of the 60,000 questions" in warning
    asked = section_table(at)["asked"].iloc[-1]
    assert 0 < asked < 60_000 and f"{asked:,} of the 60,000" in warning


def test_a_demo_caps_the_questions_and_says_so_on_the_page_and_in_the_uploaders_help(tmp_path, monkeypatch):
    imported_vectors(tmp_path)
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS", "100")
    at = embeddings_page()
    helps = [u.help for u in at.file_uploader if u.key in ("pairs_file", "analogy_file")]
    assert len(helps) == 2 and all("reads the first 100 questions or pairs of a file" in h for h in helps)
    assert "Public demo: an evaluation reads the first 100 questions or pairs" in texts(at)
    upload(at, "Analogies", "q.txt", analogies(300, 400))
    at.button(key="evaluate_analogies").click().run()
    assert not at.exception and not at.error
    assert section_table(at)["asked"].iloc[-1] == 100
    assert "This demo evaluated the first 100 of the file's 402 questions." in texts(at)


def test_another_visitors_page_is_served_while_an_evaluation_runs(tmp_path):
    """One visitor's evaluation waits on its worker (held still here, as a long one would be); another visitor's
    page, a neighbour search and a word pair file's evaluation included, is served meanwhile."""
    import os
    import signal
    import threading
    from namuweb.embeddings import embedding_library, evaluator
    imported_vectors(tmp_path)
    [entry] = embedding_library.entries()
    evaluator.stop_workers()
    evaluator.evaluate("pairs", entry.path, "말1\t말2\t3\n".encode())  # one idle worker, which we hold still
    [held] = evaluator.worker_pids()
    os.kill(held, signal.SIGSTOP)
    answers = []
    first = threading.Thread(target=lambda: answers.append(evaluator.evaluate("analogies", entry.path,
                                                                              analogies(300, 400))))
    try:
        first.start()
        other = embeddings_page()
        upload(other, "Word pairs", "pairs.tsv", "말3\t말4\t1\n말5\t말6\t2\n".encode())
        other.button(key="evaluate_pairs").click().run()  # a second worker answers it
        assert not other.exception and not other.error
        assert next(m.value for m in other.metric if m.label == "Pairs scored") == "2"
        assert first.is_alive() and not answers  # the first evaluation is still waiting on its worker
    finally:
        os.kill(held, signal.SIGCONT)
    first.join(timeout=120)
    assert answers and answers[0].scores.read == 402
