import json
import random
import re

import pytest
from library_texts import add_text

from namuweb.corpora import corpus as lib
from namuweb.corpora.corpus import (
    BUILTIN_ID,
    CorpusError,
    CorpusNotFound,
    EmptyUpload,
    UndecodableUpload,
    UploadTooLarge,
)

KOREAN = "한국어 말뭉치입니다\n"


def stored(data: bytes, name: str = "x.txt", home=None):
    """``data`` as an uploaded .txt file is stored (the decoding tests' way in)."""
    return add_text(data, name, home)


def stored_folders(home):
    corpora = home / "corpora"
    return sorted(p.name for p in corpora.iterdir()) if corpora.exists() else []


# --- built-in ----------------------------------------------------------------


def test_builtin_has_konlpy_text(tmp_path):
    builtin = lib.ensure_builtin(tmp_path)
    assert builtin.id == BUILTIN_ID and builtin.source == "builtin"
    assert builtin.chars == 65_209
    text = builtin.read_text()
    assert len(text) == 65_209
    assert text.startswith("대한민국헌법")
    assert builtin.bytes == len(text.encode("utf-8")) == builtin.path.stat().st_size
    assert builtin.path == tmp_path / "corpora" / BUILTIN_ID / "text.txt"


def test_builtin_written_once(tmp_path, monkeypatch):
    first = lib.ensure_builtin(tmp_path)
    mtime = first.path.stat().st_mtime_ns
    monkeypatch.setattr(lib, "_builtin_text", lambda: pytest.fail("rebuilt the built-in corpus"))
    second = lib.ensure_builtin(tmp_path)
    assert second == first
    assert second.path.stat().st_mtime_ns == mtime


def test_builtin_rebuilt_when_meta_corrupt(tmp_path):
    first = lib.ensure_builtin(tmp_path)
    (first.path.parent / "meta.json").write_text("{not json")
    assert lib.ensure_builtin(tmp_path).chars == 65_209


def test_default_home_comes_from_env(isolated_home):
    assert lib.ensure_builtin().path.is_relative_to(isolated_home.resolve())


def test_iter_chunks_reassembles_text(tmp_path):
    builtin = lib.ensure_builtin(tmp_path)
    chunks = list(builtin.iter_chunks(10_000))
    assert all(len(c) <= 10_000 for c in chunks)
    assert len(chunks) == 7
    assert "".join(chunks) == builtin.read_text()


# --- listing and lookup --------------------------------------------------------


def test_list_builtin_first_then_newest_upload(tmp_path):
    older = add_text(b"first", "a.txt", home=tmp_path)
    newer = add_text(b"second", "b.txt", home=tmp_path)
    ids = [c.id for c in lib.list_corpora(tmp_path)]
    assert ids == [BUILTIN_ID, newer.id, older.id]


def test_get_by_id_and_by_name(tmp_path):
    upload = add_text(b"hello", "notes.txt", home=tmp_path)
    assert lib.get_corpus(upload.id, tmp_path) == upload
    assert lib.get_corpus("notes.txt", tmp_path) == upload
    assert lib.get_corpus(lib.BUILTIN_NAME, tmp_path).id == BUILTIN_ID


def test_get_missing_names_the_request_and_no_other_corpus(tmp_path):
    add_text(b"hello", "notes.txt", home=tmp_path)
    with pytest.raises(CorpusNotFound) as info:
        lib.get_corpus("nope", tmp_path)
    message = str(info.value)
    assert "nope" in message and "deleted" in message
    assert "notes.txt" not in message and lib.BUILTIN_NAME not in message  # another visitor's corpora stay private
    assert "\n" not in message


def test_corrupt_or_incomplete_folders_are_skipped(tmp_path):
    good = add_text(b"good", "good.txt", home=tmp_path)
    broken = add_text(b"broken", "broken.txt", home=tmp_path)
    (broken.path.parent / "meta.json").write_text("{not json")
    (tmp_path / "corpora" / "no-meta").mkdir()
    (tmp_path / "corpora" / "wrong-shape").mkdir()
    (tmp_path / "corpora" / "wrong-shape" / "meta.json").write_text("[1, 2]")
    assert [c.id for c in lib.list_corpora(tmp_path)] == [BUILTIN_ID, good.id]


def test_delete_upload(tmp_path):
    upload = add_text(b"bye", "bye.txt", home=tmp_path)
    lib.delete_corpus(upload.id, tmp_path)
    assert not upload.path.parent.exists()
    with pytest.raises(CorpusNotFound):
        lib.get_corpus(upload.id, tmp_path)
    with pytest.raises(CorpusNotFound):
        lib.delete_corpus(upload.id, tmp_path)


def test_delete_refuses_builtin_and_paths(tmp_path):
    lib.ensure_builtin(tmp_path)
    with pytest.raises(CorpusError):
        lib.delete_corpus(BUILTIN_ID, tmp_path)
    with pytest.raises(CorpusNotFound):
        lib.delete_corpus("..", tmp_path)
    assert lib.ensure_builtin(tmp_path).path.exists()
    assert tmp_path.exists()


# --- decoding ---------------------------------------------------------------------


def test_plain_utf8_has_no_notice(isolated_home):
    upload = stored(KOREAN.encode("utf-8"))
    assert (upload.read_text(), upload.encoding, upload.notice) == (KOREAN, "utf-8", None)


def test_utf8_bom_removed_with_notice(isolated_home):
    upload = stored(b"\xef\xbb\xbf" + KOREAN.encode("utf-8"))
    assert (upload.read_text(), upload.encoding) == (KOREAN, "utf-8-sig")
    assert "BOM" in upload.notice


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec, isolated_home):
    bom = "\ufeff".encode(codec)
    upload = stored(bom + KOREAN.encode(codec))
    assert (upload.read_text(), upload.encoding) == (KOREAN, "utf-16")
    assert "UTF-16" in upload.notice


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_detected(codec, isolated_home):
    source = "Hello, corpus! 한국어 text.\n" * 5
    upload = stored(source.encode(codec))
    assert (upload.read_text(), upload.encoding) == (source, codec)
    assert "UTF-16" in upload.notice


def test_cp949_converted_with_notice(isolated_home):
    upload = stored(KOREAN.encode("cp949"))
    assert (upload.read_text(), upload.encoding) == (KOREAN, "cp949")
    assert "CP949" in upload.notice


def test_crlf_and_cr_normalised(isolated_home):
    assert stored("하나\r\n둘\r셋\n".encode("utf-8")).read_text() == "하나\n둘\n셋\n"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n ", b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n", "  \n".encode("utf-16")])
def test_empty_or_whitespace_rejected(data, isolated_home):
    with pytest.raises(EmptyUpload):
        stored(data)
    assert not [name for name in stored_folders(isolated_home) if name != BUILTIN_ID]


def png_like():
    rng = random.Random(1234)
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4096))


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 10,
        png_like(),
        b"text with a NUL\x00 in the middle",
        ("control" + "\x01\x02\x03" * 20).encode("utf-8"),
    ],
)
def test_binary_rejected(data, isolated_home):
    with pytest.raises(UndecodableUpload, match="does not look like text"):
        stored(data, "x.bin")


# --- uploads -----------------------------------------------------------------------


def test_upload_stored_and_readable(tmp_path):
    upload = add_text(KOREAN.replace("\n", "\r\n").encode("cp949"), "말뭉치.txt", home=tmp_path)
    assert upload.source == "upload" and upload.name == "말뭉치.txt"
    assert upload.original_name == "말뭉치.txt"
    assert upload.read_text() == KOREAN
    assert upload.path.read_bytes() == KOREAN.encode("utf-8")
    assert (upload.chars, upload.bytes) == (len(KOREAN), len(KOREAN.encode("utf-8")))
    assert "CP949" in upload.notice
    assert upload.created.endswith("+00:00")
    meta = json.loads((upload.path.parent / "meta.json").read_text())
    assert meta["id"] == upload.id and meta["encoding"] == "cp949"
    assert lib.get_corpus(upload.id, tmp_path) == upload
    assert not [p for p in upload.path.parent.iterdir() if p.name not in ("text.txt", "meta.json")]


@pytest.mark.parametrize(
    "data, error",
    [
        (bytes(range(256)) * 10, UndecodableUpload),
        (png_like(), UndecodableUpload),
        (b"", EmptyUpload),
        (b" \n \n", EmptyUpload),
    ],
)
def test_rejected_upload_stores_nothing(tmp_path, data, error):
    with pytest.raises(error):
        add_text(data, "x.bin", home=tmp_path)
    assert not [name for name in stored_folders(tmp_path) if name != BUILTIN_ID]


def test_binary_upload_message_names_file(tmp_path):
    with pytest.raises(UndecodableUpload, match=r"'x\.bin' does not look like text"):
        add_text(bytes(range(256)) * 10, "x.bin", home=tmp_path)


def test_too_large_checked_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(lib, "text_encoding", lambda *a, **k: pytest.fail("decoded an oversized upload"))
    with pytest.raises(UploadTooLarge, match="^'big.txt' is larger than the limit of 1 MB$"):
        add_text(b"a" * (1024 * 1024 + 1), "big.txt", home=tmp_path, max_bytes=1024 * 1024)
    assert not [name for name in stored_folders(tmp_path) if name != BUILTIN_ID]


def test_default_limit_comes_from_config(tmp_path, monkeypatch):
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", "1")
    with pytest.raises(UploadTooLarge, match="1 MB"):
        add_text(b"a" * (1024 * 1024 + 1), "big.txt", home=tmp_path)
    assert add_text(b"a" * (1024 * 1024), "ok.txt", home=tmp_path).chars == 1024 * 1024


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    real_write = lib._write_atomic

    def fail_on_meta(path, text):
        if path.name == "meta.json":
            raise OSError("disk full")
        real_write(path, text)

    monkeypatch.setattr(lib, "_write_atomic", fail_on_meta)
    with pytest.raises(OSError):
        add_text(b"hello", "a.txt", home=tmp_path)
    assert stored_folders(tmp_path) == []


@pytest.mark.parametrize(
    "original, expected",
    [
        ("../../etc/passwd", "../../etc/passwd"),
        ("a/b", "a/b"),
        ("x\x00y", "xy"),
        ("가" * 300, "가" * 100),
        ("\x00\x01\n", "upload"),
        ("", "upload"),
    ],
)
def test_hostile_names_never_become_paths(tmp_path, original, expected):
    upload = add_text(b"safe", original, home=tmp_path)
    corpora = (tmp_path / "corpora").resolve()
    assert upload.path.resolve().parent.parent == corpora
    assert re.fullmatch(r"\d{8}-\d{6}-upload-[0-9a-f]{4}", upload.id)  # storage.new_name's, never the name
    assert upload.name == expected
    assert upload.original_name == original
    assert lib.get_corpus(upload.id, tmp_path).original_name == original
    everything = {p.resolve() for p in tmp_path.rglob("*")}
    assert all(p == corpora or p.is_relative_to(corpora) for p in everything)


def test_ids_are_unique(tmp_path):
    ids = {add_text(b"same", "same.txt", home=tmp_path).id for _ in range(20)}
    assert len(ids) == 20


def test_add_file_moves_a_job_output_into_the_library_with_its_parent(tmp_path, isolated_home):
    from namuweb.corpora.corpus import BUILTIN_ID, add_file, get_corpus, list_corpora
    output = isolated_home / "partial.txt"
    isolated_home.mkdir(parents=True, exist_ok=True)
    output.write_text("나무/Noun 위키/Noun\n말뭉치/Noun 를/Josa\n", encoding="utf-8")
    tagged = add_file(output, "헌법 · tagged (Okt)", source="tagged", parent=BUILTIN_ID)
    assert not output.exists()
    again = get_corpus(tagged.id)
    assert again.parent == BUILTIN_ID and again.source == "tagged"
    assert again.read_text() == "나무/Noun 위키/Noun\n말뭉치/Noun 를/Josa\n"
    assert again.chars == len(again.read_text())
    assert [c.id for c in list_corpora()][:1] == [BUILTIN_ID] and tagged.id in [c.id for c in list_corpora()]


def test_add_file_moves_the_jamo_form_in_beside_the_text_or_leaves_both_for_a_retry(isolated_home, monkeypatch):
    isolated_home.mkdir(parents=True, exist_ok=True)
    output, jamo = isolated_home / "output.txt", isolated_home / "output.jamo.txt"
    output.write_text("가\n", encoding="utf-8")
    jamo.write_text("ㄱㅏᴥ\n", encoding="utf-8")
    real_write = lib._write_atomic
    monkeypatch.setattr(lib, "_write_atomic", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space")))
    with pytest.raises(lib.StorageError):
        lib.add_file(output, "imported", source="namuwiki", jamo=jamo)
    assert output.read_text(encoding="utf-8") == "가\n" and jamo.read_text(encoding="utf-8") == "ㄱㅏᴥ\n"
    assert stored_folders(isolated_home) == []
    monkeypatch.setattr(lib, "_write_atomic", real_write)
    imported = lib.add_file(output, "imported", source="namuwiki", jamo=jamo)
    assert not output.exists() and not jamo.exists()
    assert imported.jamo_file.read_text(encoding="utf-8") == "ㄱㅏᴥ\n"
    assert imported.jamo_file.parent == imported.folder == imported.path.parent == imported.meta_file.parent
    assert sorted(p.name for p in imported.folder.iterdir()) == sorted(
        p.name for p in (imported.path, imported.meta_file, imported.jamo_file))
    assert oct(imported.jamo_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp949"])
def test_add_text_file_streams_large_files_chunk_by_chunk(tmp_path, monkeypatch, encoding):
    from namuweb.corpora import corpus as corpus_module
    monkeypatch.setattr(corpus_module, "_SAMPLE", 64)  # force the chunked path on a small file
    text = "첫 줄입니다\r\n둘째 줄 with ASCII\r셋째\n" * 300
    path = tmp_path / "big.txt"
    path.write_bytes(text.encode(encoding))
    stored = corpus_module.add_text_file(path, "big.txt")
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert stored.read_text() == expected and stored.chars == len(expected)
    assert stored.encoding == encoding


def test_add_text_file_refuses_binary_and_stores_nothing(tmp_path, isolated_home):
    from namuweb.corpora import corpus as corpus_module
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400)
    with pytest.raises(corpus_module.UndecodableUpload):
        corpus_module.add_text_file(path, "photo.txt")
    assert stored_folders(isolated_home) == []


def test_symlinks_in_the_library_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0")
    linked = add_text("내용".encode(), "linked.txt", home=tmp_path / "home")
    linked.path.unlink()
    linked.path.symlink_to(outside / "secret.txt")  # text.txt points out of the data directory
    assert linked.id not in [c.id for c in lib.list_corpora(tmp_path / "home")]
    with pytest.raises(CorpusNotFound):
        lib.get_corpus(linked.id, tmp_path / "home")
    folder_link = tmp_path / "home" / "corpora" / "folder-link"
    folder_link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(lib.CorpusError, match="symbolic link"):
        lib.delete_corpus("folder-link", tmp_path / "home")
    assert (outside / "secret.txt").exists()
