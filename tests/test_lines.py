"""namuweb.text.lines: a random line of a corpus, without reading the file whole."""

import random
import tracemalloc

from namuweb.text.lines import random_line


def test_a_random_line_is_a_whole_line_longer_than_asked_and_any_of_them_comes_up(tmp_path):
    lines = [f"{i}번째 줄은 충분히 길어서 예시로 쓸 수 있다" for i in range(50)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(["짧다", *lines, "", "짧다"]) + "\n", encoding="utf-8")
    rng = random.Random(0)
    picked = [random_line(path, rng=rng) for _ in range(400)]
    assert set(picked) <= set(lines)  # whole lines, never a short one or a piece of a line
    assert len(set(picked)) > 40  # and not always the same few


def test_no_line_long_enough_or_an_empty_file_gives_none(tmp_path):
    (tmp_path / "short.txt").write_text("가\n나다\n" * 100, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    assert random_line(tmp_path / "short.txt", rng=random.Random(0)) is None
    assert random_line(tmp_path / "empty.txt") is None


def test_a_line_is_cut_to_max_chars_and_the_file_is_not_read_whole(tmp_path):
    path = tmp_path / "big.txt"
    with path.open("w", encoding="utf-8") as f:
        for i in range(200_000):
            f.write(f"{i:06d} 한국어 문장이 여기 있고 이 줄은 꽤 길다 " * 3 + "\n")
    tracemalloc.start()
    line = random_line(path, max_chars=30, rng=random.Random(1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(line) == 30 and line[:6].isdigit()  # a line from its start, cut
    assert peak < 1_000_000, f"{peak:,} bytes for a {path.stat().st_size:,}-byte file"


def test_one_endless_line_comes_back_cut_from_its_start(tmp_path):
    path = tmp_path / "endless.txt"
    path.write_text("가" * 3_000_000, encoding="utf-8")
    assert random_line(path, max_chars=100, rng=random.Random(0)) == "가" * 100
