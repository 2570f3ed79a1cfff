"""namuweb.storage: the one way files that others read are written, and new folders named."""

import ast
import re
from pathlib import Path

import pytest

from namuweb import storage


def test_atomic_write_replaces_the_whole_file_or_leaves_the_old_one(tmp_path):
    path = tmp_path / "state.json"
    storage.write_json(path, {"step": 1, "name": "가나"})
    assert storage.read_json(path) == {"step": 1, "name": "가나"}

    def fails_halfway(f):
        f.write(b'{"step": 2, "na')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage.atomic_write(path, fails_halfway)
    assert storage.read_json(path) == {"step": 1, "name": "가나"}  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # and no temporary file left beside it
    storage.atomic_write(path, b"\x00\x01", durable=True)
    assert path.read_bytes() == b"\x00\x01"


def test_new_names_carry_the_time_and_what_they_hold():
    names = {storage.new_name("okt") for _ in range(200)} | {storage.new_name("okt", stamp="20261203-142501")}
    assert all(re.fullmatch(r"\d{8}-\d{6}-okt-[0-9a-f]{4}", n) for n in names)
    assert storage.new_name(stamp="20261203-142501").startswith("20261203-142501-")
    assert re.fullmatch(r"20261203-142501-[0-9a-f]{4}", storage.new_name("", stamp="20261203-142501"))  # no "--"
    assert len(names) > 190  # four hex digits tell a burst of same-second names apart (callers mkdir exclusively)


def test_atomic_file_streams_text_and_replaces_only_when_the_block_ends(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    with storage.atomic_file(path, encoding="utf-8", newline="\n", durable=True) as f:
        f.write("가나\n다라\n")
        assert path.read_text(encoding="utf-8") == "old"  # nothing shows until the block ends
    assert path.read_bytes() == "가나\n다라\n".encode("utf-8")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(RuntimeError), storage.atomic_file(path) as f:
        f.write(b"half")
        raise RuntimeError("stopped")
    assert path.read_text(encoding="utf-8") == "가나\n다라\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_move_into_place_makes_the_file_owner_only(tmp_path):
    source = tmp_path / "made.txt"
    source.write_text("글", encoding="utf-8")
    source.chmod(0o644)
    target = storage.move_into_place(source, tmp_path / "text.txt")
    assert not source.exists() and target.read_text(encoding="utf-8") == "글"
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_new_folder_never_shares_a_name_taken_in_the_same_second(tmp_path, monkeypatch):
    taken = storage.new_folder(tmp_path, "upload", stamp="20261203-142501")
    tokens = iter([taken.name.rsplit("-", 1)[1], "beef"])  # the first try collides with the folder above
    monkeypatch.setattr(storage.secrets, "token_hex", lambda n: next(tokens))
    fresh = storage.new_folder(tmp_path, "upload", stamp="20261203-142501")
    assert fresh.name == "20261203-142501-upload-beef" and fresh.is_dir() and not any(fresh.iterdir())
    assert oct(fresh.stat().st_mode & 0o777) == "0o700"


def hand_rolled_file_handling(tree: ast.AST) -> list[str]:
    """Calls that replace a file (``os.replace``/``os.rename``) or read a JSON file (``json.load`` of a file,
    ``json.loads`` of a file's text) by hand; ``json.loads`` of a pipe's line is a message, not a file."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = ast.unparse(node.func)
        if called in ("os.replace", "os.rename", "json.load"):
            found.append(f"line {node.lineno}: {called}")
        elif called == "json.loads" and node.args and any(
                isinstance(inner, ast.Call) and ast.unparse(inner.func).endswith((".read_text", ".read_bytes", ".read"))
                for inner in ast.walk(node.args[0])):
            found.append(f"line {node.lineno}: json.loads of a file's contents")
    return found


def test_the_checker_finds_each_hand_rolled_form():
    source = ("import json, os\nos.replace(a, b)\nos.rename(a, b)\njson.load(f)\n"
              "json.loads(p.read_text(encoding='utf-8'))\njson.loads(line)\n")
    assert [f.split(":")[0] for f in hand_rolled_file_handling(ast.parse(source))] == [
        "line 2", "line 3", "line 4", "line 5"]


def test_every_atomic_write_and_json_file_read_goes_through_storage():
    """One place writes a file atomically and reads our JSON (storage.py): a hand-rolled temp file and
    rename is where a crash used to leave half a file, and a hand-rolled read where encodings differed."""
    package = Path(storage.__file__).parent
    offenders = {str(path.relative_to(package)): found for path in package.rglob("*.py") if path.name != "storage.py"
                 if (found := hand_rolled_file_handling(ast.parse(path.read_text(encoding="utf-8"))))}
    assert not offenders, offenders
