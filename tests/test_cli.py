import json
import subprocess
import sys

import pytest

from namuweb.cli import main


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


def test_non_utf8_and_empty_files_are_refused(tmp_path, capsys):
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    assert main(["vocab", str(binary)]) == 2
    assert main(["vocab", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "is empty" in err


def test_module_entry_point_runs_without_traceback(isolated_home):
    done = subprocess.run([sys.executable, "-m", "namuweb", "vocab", "../../etc/passwd-nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.startswith("namuweb vocab: error:")
