"""namuweb.storage: the one way files that others read are written, and new folders named."""

import re

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
    assert len(names) > 190  # four hex digits tell a burst of same-second names apart (callers mkdir exclusively)
