import gzip
import io
import zipfile

import pytest

from namuweb import config

from namuweb.corpora import corpus, uploads
from library_texts import add_text


def test_gzipped_text_upload_becomes_a_corpus():
    data = gzip.compress("한국어 말뭉치\n둘째 줄".encode("cp949"))
    received = uploads.receive(io.BytesIO(data), "옛글.txt.gz")
    assert received.kind == "corpus"
    assert received.corpus.read_text() == "한국어 말뭉치\n둘째 줄" and "CP949" in received.corpus.notice
    assert received.corpus.name == "옛글.txt"


def test_zipped_text_upload_takes_the_first_text_member():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.md", "not this")
        archive.writestr("data/본문.txt", "나무위키 말뭉치")
    received = uploads.receive(io.BytesIO(buffer.getvalue()), "bundle.zip")
    assert received.corpus.read_text() == "나무위키 말뭉치" and received.corpus.name == "본문.txt"


def test_zip_bomb_stops_at_the_cap_and_stores_nothing(monkeypatch, isolated_home):
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", "1")
    monkeypatch.setattr(uploads, "EXPANSION_LIMIT", 2)
    bomb = gzip.compress(b"a" * (3 * config.MB))
    with pytest.raises(uploads.UploadError, match="larger than the limit"):
        uploads.receive(io.BytesIO(bomb), "bomb.txt.gz")
    assert [c.id for c in corpus.list_corpora()] == [corpus.BUILTIN_ID]
    assert not any((isolated_home / "jobs" / "incoming").iterdir())


@pytest.mark.parametrize("name, data, message", [
    ("broken.txt.gz", b"\x1f\x8b\x08\x00 truncated", "not a readable gzip"),
    ("broken.zip", b"PK\x03\x04 nope", "not a readable zip"),
    ("empty.txt", b"", "is empty"),
])
def test_bad_archives_and_empty_files_are_clear_errors(name, data, message):
    with pytest.raises(corpus.CorpusError, match=message):
        uploads.receive(io.BytesIO(data), name)


def test_upload_over_the_limit_is_refused_while_copying(monkeypatch):
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", "1")
    with pytest.raises(uploads.UploadError, match="larger than the limit of 1 MB"):
        uploads.receive(io.BytesIO(b"x" * (config.MB + 10)), "big.txt")


def test_rename_keeps_the_id():
    stored = add_text("가나다".encode(), "a.txt")
    renamed = corpus.rename_corpus(stored.id, "  새 이름 ")
    assert renamed.id == stored.id and corpus.get_corpus(stored.id).name == "새 이름"
    with pytest.raises(corpus.CorpusError):
        corpus.rename_corpus(stored.id, "   ")


FIXTURE = __import__("pathlib").Path(__file__).parent / "fixtures" / "namuwiki"


def test_cli_imports_the_fixture_dump_into_the_library(capsys):
    from namuweb.cli import main
    assert main(["import-namuwiki", str(FIXTURE / "mini.jsonl")]) == 0
    out = capsys.readouterr().out
    [imported] = [c for c in corpus.list_corpora() if c.source == "namuwiki"]
    assert imported.read_text() == (FIXTURE / "mini.expected.txt").read_text(encoding="utf-8")
    assert "12" in out and "7" in out and imported.id in out


def test_cli_import_with_filters_that_keep_nothing_says_so(capsys):
    from namuweb.cli import main
    assert main(["import-namuwiki", str(FIXTURE / "mini.json"), "--title", "^없는제목$"]) == 2
    assert "no document passed the filters" in capsys.readouterr().err
    assert [c.source for c in corpus.list_corpora()] == ["builtin"]


def test_an_import_with_jamo_keeps_the_jamo_form_in_the_corpus(capsys):
    from namuweb.cli import main
    from namuweb.text.hangul import compose
    assert main(["import-namuwiki", str(FIXTURE / "mini.jsonl"), "--jamo"]) == 0
    [imported] = [c for c in corpus.list_corpora() if c.source == "namuwiki"]
    jamo = imported.jamo_file.read_text(encoding="utf-8")
    assert "ᴥ" in jamo and compose(jamo) == imported.read_text()
    [job_dir] = uploads.FOLDERS.all()
    assert not [p.name for p in job_dir.iterdir() if "jamo" in p.name or p.name.endswith(".tmp")]
