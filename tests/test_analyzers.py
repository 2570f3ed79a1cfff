"""The uniform tagger: the tutorial's output, every engine, threads, and resumable corpus tagging."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from namuweb.morphemes import analyzers, analyzer_processes

TUTORIAL = "나무위키 말뭉치를 만들어보자"
SENTENCES = ["대한민국은 민주공화국이다.", "나무위키 말뭉치를 만들어보자", "오늘은 날씨가 정말 좋아서 공원에 갔습니다.",
             "한국어 형태소 분석기는 여러 종류가 있다"]
ROOT = Path(__file__).resolve().parent.parent
# Loaded in this process by the tests below that need them; the other engines answer from their tagger workers
# (``analyzers.pos`` in a process of their own), which the Tagger page tests after these reuse: every test that
# starts engines runs on one xdist worker (tests/conftest.py), so each engine's dictionaries load once a run.
IN_PROCESS = {"okt", "kiwi", "mecab"}


def pos(text: str, engine: str) -> list[tuple[str, str]]:
    return analyzers.pos(text, engine) if engine in IN_PROCESS else analyzer_processes.pos(text, engine, timeout=60)


def test_okt_gives_the_tutorials_line_exactly():
    assert analyzers.tutorial_line(TUTORIAL) == "나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb"


def test_engines_report_availability_with_reasons():
    infos = {info.name: info for info in analyzers.engines()}
    assert tuple(infos) == analyzers.ENGINES
    for name in ("okt", "komoran", "kkma", "hannanum", "kiwi"):
        assert infos[name].available and infos[name].reason is None, infos[name]
    assert infos["okt"].needs_java and not infos["kiwi"].needs_java
    mecab = infos["mecab"]
    if not mecab.available:
        assert isinstance(mecab.reason, str) and "mecab" in mecab.reason.lower() and "\n" not in mecab.reason


@pytest.mark.parametrize("engine", [e for e in analyzers.ENGINES if e != "mecab" or analyzers.engines()[4].available])
def test_every_available_engine_tags_and_its_tags_are_explained(engine):
    meanings = analyzers.tag_meanings(engine)
    assert all(ko and en for ko, en in meanings.values())
    seen = []
    for sentence in SENTENCES:
        tokens = pos(sentence, engine)
        assert tokens and all(isinstance(f, str) and isinstance(t, str) and f and t for f, t in tokens)
        seen += [tag for _, tag in tokens]
    known = sum(tag in meanings for tag in seen) / len(seen)
    assert known >= 0.8, sorted(set(seen) - meanings.keys())


def test_okt_norm_and_stem_change_the_output():
    plain = analyzers.pos(TUTORIAL)
    assert ("만들다", "Verb") in analyzers.pos(TUTORIAL, stem=True) and ("만들다", "Verb") not in plain
    slang = "그래욬ㅋㅋ"
    assert analyzers.pos(slang, norm=True) != analyzers.pos(slang)
    assert analyzers.pos(TUTORIAL, "kiwi", stem=True) == analyzers.pos(TUTORIAL, "kiwi")  # Okt-only options


def test_blank_text_never_reaches_an_engine():
    # Hannanum would wait forever on it, Kkma/Komoran throw a NullPointerException
    for engine in ("okt", "komoran", "kkma", "hannanum", "kiwi"):
        assert analyzers.pos(" \n\t", engine) == []


def test_a_tagged_token_splits_at_the_last_slash_as_the_trainer_reads_it():
    """The tagging job writes ``analyzers.flat`` items; the skip-gram trainer splits them back with ``split_tag``."""
    from namuweb.embeddings.vectors import split_tag
    assert split_tag("a/b/Noun") == ("a/b", "Noun")
    assert split_tag("//SP") == ("/", "SP")
    tokens = analyzers.pos("1/2 또는 http://a.b/c 를 보자", "kiwi")
    assert [split_tag(item) for item in analyzers.flat(tokens)] == tokens
    assert split_tag("Noun") == ("Noun", "")  # a plain word: no tag


def test_tag_line_splits_at_dots_and_drops_one_token_sentences():
    line = "나무위키 말뭉치를 만들어보자. 나무. 좋다 좋아\n"
    assert analyzers.tag_line(line) == ["나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb",
                                    "좋다/Adjective 좋아/Adjective"]
    assert analyzers.tag_line("...") == []


def test_pos_chunked_cuts_between_words_and_reports_progress():
    text = "\n".join(SENTENCES * 20)
    calls = []
    tokens = analyzers.pos_chunked(text, "kiwi", chunk_chars=100, progress=lambda d, t: calls.append((d, t)))
    chunks = list(analyzers._chunks(text, 100))
    assert "".join(chunks) == text and all(len(c) <= 100 and c.endswith("\n") for c in chunks[:-1])
    assert tokens == [token for chunk in chunks for token in analyzers.pos(chunk, "kiwi")]
    assert len(tokens) > len(analyzers.pos(SENTENCES[0], "kiwi")) * 20
    assert len(calls) > 5 and calls[-1] == (len(text), len(text))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    pieces = list(analyzers._chunks("가나다 " * 100, 50))
    assert "".join(pieces) == "가나다 " * 100 and all(len(p) <= 50 and p.endswith(" ") for p in pieces)


CORPUS = ("나무위키 말뭉치를 만들어보자. 나무.\n"
          "\n"
          "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다.\n"
          "한국어 형태소 분석은 재미있다\n") * 5


def _expected(engine="okt"):
    return "".join(s + "\n" for line in CORPUS.splitlines(keepends=True) for s in analyzers.tag_line(line, engine))


@pytest.mark.parametrize("engine", ["okt", "kiwi"])
def test_tag_corpus_writes_the_tutorials_output(tmp_path, engine):
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text(CORPUS, encoding="utf-8")
    calls = []
    stats = analyzers.tag_corpus(src, dst, engine, progress=lambda *a: calls.append(a))
    text = dst.read_text(encoding="utf-8")
    assert text == _expected(engine)
    if engine == "okt":
        assert text.splitlines()[0] == "나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb"
    assert stats["lines"] == 20 and stats["sentences"] == len(text.splitlines()) == 20 and not stats["stopped"]
    assert stats["tokens"] == len(text.split())
    assert calls[-1] == (src.stat().st_size, src.stat().st_size, 20, 20)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert json.loads((tmp_path / "out.txt.progress").read_text())["bytes_out"] == dst.stat().st_size


@pytest.mark.parametrize("engine", ["okt", "kiwi"])
def test_tag_corpus_stops_and_resumes_to_the_identical_file(tmp_path, engine):
    src, whole, parts = tmp_path / "in.txt", tmp_path / "whole.txt", tmp_path / "parts.txt"
    src.write_text(CORPUS, encoding="utf-8")
    analyzers.tag_corpus(src, whole, engine)
    asked = []
    first = analyzers.tag_corpus(src, parts, engine, should_stop=lambda: asked.append(1) or len(asked) > 7)
    assert first["stopped"] and first["lines"] == 7
    sidecar = json.loads((tmp_path / "parts.txt.progress").read_text())
    assert sidecar["lines"] == 7 and sidecar["bytes_out"] == parts.stat().st_size
    assert sidecar["bytes_in"] == len("".join(CORPUS.splitlines(keepends=True)[:7]).encode())
    with parts.open("ab") as f:  # as if it crashed after the checkpoint, mid-write
        f.write("대한민국/Noun 반쪽".encode())
    second = analyzers.tag_corpus(src, parts, engine)
    assert not second["stopped"] and second["lines"] == 20
    assert parts.read_bytes() == whole.read_bytes()


def test_tag_corpus_starts_over_for_other_settings_or_without_resume(tmp_path):
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text(CORPUS, encoding="utf-8")
    analyzers.tag_corpus(src, dst, "okt", stem=True, should_stop=lambda: True)
    dst.write_text("junk\n")
    analyzers.tag_corpus(src, dst, "okt")  # sidecar was written for stem=True
    assert dst.read_text(encoding="utf-8") == _expected()
    analyzers.tag_corpus(src, dst, "okt", resume=False)
    assert dst.read_text(encoding="utf-8") == _expected()


@pytest.mark.parametrize("engine", ["okt", "kiwi"])
def test_eight_threads_at_once_get_the_single_thread_result(engine):
    texts = SENTENCES * 8
    expected = [analyzers.pos(t, engine) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda t: analyzers.pos(t, engine), texts)) == expected


def test_unavailable_and_unknown_engines(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(analyzers, "_taggers", {})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "kiwipiepy" else real(name, *a))
    with pytest.raises(analyzers.EngineUnavailable, match="pip install kiwipiepy"):
        analyzers.pos(TUTORIAL, "kiwi")
    kiwi = [info for info in analyzers.engines() if info.name == "kiwi"][0]
    assert not kiwi.available and "kiwipiepy" in kiwi.reason

    import jpype
    monkeypatch.setattr(jpype, "isJVMStarted", lambda: False)
    monkeypatch.setattr(jpype, "getDefaultJVMPath", lambda: (_ for _ in ()).throw(jpype.JVMNotFoundException("x")))
    with pytest.raises(analyzers.EngineUnavailable) as raised:
        analyzers.pos(TUTORIAL, "komoran")
    assert str(raised.value) == analyzers.NO_JAVA and "JAVA_HOME" in str(raised.value)

    for call in (lambda: analyzers.pos("x", "twitter"), lambda: analyzers.tag_meanings("nope")):
        with pytest.raises(ValueError, match="unknown engine"):
            call()


def test_importing_morph_starts_no_jvm_and_no_streamlit():
    code = ("import sys, namuweb.morphemes.analyzers as m; m.engines(); m.tag_meanings('okt'); import jpype; "
            "print(jpype.isJVMStarted(), 'streamlit' in sys.modules, 'kiwipiepy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


@pytest.mark.parametrize("engine", ["okt", "komoran", "kkma", "kiwi"])
def test_whitespace_is_never_a_token(engine):
    tokens = pos("좋다\t좋아\u3000정말\r\n좋아\n", engine)
    assert tokens and not any(form.isspace() for form, _ in tokens)


def test_a_process_that_started_java_in_a_side_thread_still_exits():
    """Streamlit starts the JVM in a script thread that stays alive; exiting must not wait for it."""
    code = """
import threading
from namuweb.morphemes import analyzers
done = threading.Event()
def work():
    analyzers.pos("한국어 문장", "okt")
    done.set()
    threading.Event().wait()  # alive until the process ends, like a Streamlit script thread
threading.Thread(target=work, daemon=True).start()
assert done.wait(120)
print("tagged")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "tagged" in result.stdout, result.stderr[-2000:]
