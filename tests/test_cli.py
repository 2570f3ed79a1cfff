import json
import re
import subprocess
import sys

import pytest

from namuweb.cli import main
from namuweb import registry
from namuweb.corpora import corpus, deletion, uploads
from namuweb.text.vocab_report import report
from library_texts import add_text


def test_vocab_of_builtin_prints_figures_and_writes_json(isolated_home, capsys):
    assert main(["vocab", "builtin"]) == 0
    out = capsys.readouterr().out
    assert "65,209" in out and "154,939" in out and "vocabulary size  156" in out
    written = json.loads((isolated_home / "exports" / "builtin.vocab.json").read_text(encoding="utf-8"))
    assert len(written["chars"]) == 156 and sum(written["counts"]) == 154939


def test_vocab_of_a_file_with_min_count_and_out(tmp_path, capsys):
    source = tmp_path / "my.txt"
    source.write_text("가가가 나 😀", encoding="utf-8")
    out = tmp_path / "v.json"
    assert main(["vocab", str(source), "--min-count", "2", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["unk"] == "<unk>" and data["chars"][-1] == "<unk>"
    assert "with <unk>" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["vocab", "no-such-corpus"], "neither a file nor a library corpus"),
    (["vocab", "builtin", "--min-count", "0"], "at least 1"),
])
def test_bad_input_is_one_line_and_nonzero(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_binary_and_empty_files_are_refused_as_the_upload_refuses_them(tmp_path, capsys):
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"PK\x03\x04\x00\x01\x02\x03" * 64)
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    assert main(["vocab", str(binary)]) == 2
    assert main(["vocab", str(empty)]) == 2
    err = capsys.readouterr().err
    for refused in (binary, empty):
        with pytest.raises(corpus.CorpusError) as upload:
            corpus.add_text_file(refused, refused.name)
        assert str(upload.value) in err


KOREAN = "대한민국의 수도는 서울이다.\r\n한국어 문장을 많이 씁니다. 뷁!\n"
ENCODINGS = {"utf-8": KOREAN.encode("utf-8"), "utf-8 with BOM": KOREAN.encode("utf-8-sig"),
             "utf-16 with BOM": KOREAN.encode("utf-16"), "utf-16-be with BOM": b"\xfe\xff" + KOREAN.encode("utf-16-be"),
             "cp949": KOREAN.encode("cp949"), "euc-kr": KOREAN.replace("뷁", "값").encode("euc-kr")}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_vocab_reads_a_file_in_every_encoding_an_upload_takes_with_the_uploads_notice(
        encoding, isolated_home, tmp_path, capsys):
    data = ENCODINGS[encoding]
    source = tmp_path / "memo.txt"
    source.write_bytes(data)
    assert main(["vocab", str(source), "--out", str(tmp_path / "v.json")]) == 0
    captured = capsys.readouterr()
    uploaded = add_text(data, "memo.txt")  # what the Corpora page stores for the same bytes
    if uploaded.notice:
        assert captured.err == f"memo.txt: {uploaded.notice}\n"  # one line, the page's words
    else:
        assert captured.err == ""
    assert f"characters       {uploaded.chars:,}\n" in captured.out
    chars = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))["chars"]
    assert chars == report(uploaded).vocab.chars  # the same text, whatever the bytes were


def test_corpora_lists_adds_shows_renames_and_removes_like_the_page(isolated_home, tmp_path, capsys):
    assert main(["corpora"]) == 0
    listed = capsys.readouterr().out
    assert corpus.BUILTIN_ID in listed and "65,209" in listed

    source = tmp_path / "메모.txt"
    source.write_bytes(ENCODINGS["cp949"])
    assert main(["corpora", "add", str(source), "--name", "내 메모"]) == 0
    captured = capsys.readouterr()
    added = [c for c in corpus.list_corpora() if c.source == "upload"]
    assert len(added) == 1 and added[0].name == "내 메모" and added[0].encoding == "cp949"
    with source.open("rb") as stream:  # the page's upload of the same file
        page = uploads.receive(stream, source.name).corpus
    assert added[0].read_text() == page.read_text() and added[0].notice == page.notice
    assert captured.err == f"{source.name}: {page.notice}\n" and added[0].id in captured.out

    assert main(["corpora", "show", "내 메모"]) == 0
    shown = capsys.readouterr().out
    assert added[0].id in shown and "cp949" in shown and "대한민국의 수도는 서울이다." in shown
    assert main(["corpora", "rename", added[0].id, "새 이름"]) == 0
    assert corpus.get_corpus(added[0].id).name == "새 이름"
    capsys.readouterr()

    # Deleting: never the built-in corpus, never one a job reads, only with --force one others came from.
    assert main(["corpora", "rm", corpus.BUILTIN_ID]) == 2
    child = tmp_path / "tagged.txt"
    child.write_text("대한민국/Noun 의/Josa\n", encoding="utf-8")
    corpus.add_file(child, "새 이름 · tagged", source="tagged", parent=added[0].id)
    assert main(["corpora", "rm", added[0].id]) == 2
    assert "tagged corpus(es) stay" in capsys.readouterr().err and corpus.get_corpus(added[0].id)
    busy = deletion.CorpusUsage(active=["tagging job 20261203-tag-okt"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "corpus_usage", lambda corpus_id, home=None: busy)
        assert main(["corpora", "rm", added[0].id, "--force"]) == 2
    assert "tagging job 20261203-tag-okt is reading" in capsys.readouterr().err and corpus.get_corpus(added[0].id)
    assert main(["corpora", "rm", added[0].id, "--force"]) == 0
    assert added[0].id not in [c.id for c in corpus.list_corpora()]
    assert main(["corpora", "show", added[0].id]) == 2


def test_corpora_keeps_the_demos_rules(isolated_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_CORPUS_MB", "0")  # uploads off
    source = tmp_path / "memo.txt"
    source.write_bytes(ENCODINGS["utf-8"])
    assert main(["corpora", "add", str(source)]) == 2
    assert main(["corpora", "rename", corpus.BUILTIN_ID, "x"]) == 2
    assert main(["corpora", "rm", corpus.BUILTIN_ID]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "uploads are off in this demo" in err[0] and "cannot be renamed" in err[1] and "cannot be deleted" in err[2]
    assert [c.id for c in corpus.list_corpora()] == [corpus.BUILTIN_ID]


def test_skipgram_takes_a_tagged_file_in_utf16_and_refuses_an_untagged_one(isolated_home, tmp_path, capsys):
    tagged = tmp_path / "tagged.txt"
    tagged.write_bytes(("나무/Noun 위키/Noun 말뭉치/Noun 를/Josa\n나무/Noun 를/Josa 위키/Noun\n" * 20).encode("utf-16"))
    plain = tmp_path / "plain.txt"
    plain.write_bytes(ENCODINGS["cp949"])
    assert main(["skipgram", "--corpus", str(plain), "--epochs", "1"]) == 2
    assert "not tagged" in capsys.readouterr().err
    assert [c.id for c in corpus.list_corpora()] == [corpus.BUILTIN_ID]  # nothing left behind
    assert main(["skipgram", "--corpus", str(tagged), "--epochs", "1", "--min-count", "1"]) == 0
    err = capsys.readouterr().err
    assert "tagged.txt: Converted from UTF-16" in err and re.search(r"added to the library as \d{8}-\d{6}-tagged-", err)
    stored = [c for c in corpus.list_corpora() if c.source == "tagged"]
    assert len(stored) == 1 and stored[0].read_text().startswith("나무/Noun 위키/Noun")


def test_module_entry_point_runs_without_traceback(isolated_home):
    done = subprocess.run([sys.executable, "-m", "namuweb", "vocab", "../../etc/passwd-nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.startswith("namuweb vocab: error:")


@pytest.mark.engines
def test_tag_stops_an_engine_that_runs_away_after_the_engines_time_limit_and_says_which(isolated_home):
    """Kkma on 300 of one syllable answered nothing for minutes on the command line; the pages stop it after
    NAMUWEB_TAGGER_TIMEOUT_S. The command now tags in the pages' kind of worker, under the same limit."""
    import os
    env = dict(os.environ, NAMUWEB_TAGGER_TIMEOUT_S="2")
    done = subprocess.run([sys.executable, "-m", "namuweb", "tag", "하" * 300, "--engine", "kkma"], env=env,
                          capture_output=True, text=True, timeout=240)  # Kkma's start on a loaded machine
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert lines[0].startswith("namuweb tag: error: Kkma gave up: no answer within 2 s"), lines[0]
    assert "NAMUWEB_TAGGER_TIMEOUT_S" in lines[0] and "another engine" in lines[0], lines[0]
    assert done.stdout == ""
