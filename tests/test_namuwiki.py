"""namuweb.corpora.namuwiki: streaming readers and the dump import (the markup conversion: test_namumark.py)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from namuweb.corpora import namumark, namuwiki
from namuweb.corpora.namumark import Conversion, TextOptions
from namuweb.corpora.namuwiki import DumpError, ImportOptions, detect_format, import_dump, iter_documents

FIXTURES = Path(__file__).parent / "fixtures" / "namuwiki"
REPO = Path(__file__).resolve().parent.parent
FORMATS = ("json", "jsonl", "parquet")


def test_options_are_validated():
    assert ImportOptions(namespaces=(0, " 1"), title_pattern="").validated().namespaces == ("0", "1")
    for bad in (dict(footnotes="keep"), dict(sample_rate=0), dict(sample_rate=1.5), dict(min_chars=-1),
                dict(max_documents=0), dict(max_output_chars=-5), dict(title_pattern="("), dict(namespaces=())):
        with pytest.raises(ValueError):
            ImportOptions(**bad).validated()


# --- reading the dump -------------------------------------------------------------------

def test_detect_format(tmp_path):
    for fmt in FORMATS:
        assert detect_format(FIXTURES / f"mini.{fmt}") == fmt
        sniffed = tmp_path / f"dump-{fmt}.bin"
        sniffed.write_bytes((FIXTURES / f"mini.{fmt}").read_bytes())
        assert detect_format(sniffed) == fmt
    odd = tmp_path / "dump.bin"
    odd.write_bytes(b"hello")
    with pytest.raises(DumpError):
        detect_format(odd)


def test_every_format_yields_the_same_records():
    expected = json.loads((FIXTURES / "mini.json").read_text(encoding="utf-8"))
    for fmt in FORMATS:
        seen = []
        records = list(iter_documents(FIXTURES / f"mini.{fmt}", progress_bytes=seen.append))
        assert [(str(r["namespace"]), r["title"], r["text"], list(r["contributors"])) for r in records] == \
            [(str(r["namespace"]), r["title"], r["text"], r["contributors"]) for r in expected]
        assert seen and seen == sorted(seen) and seen[-1] == (FIXTURES / f"mini.{fmt}").stat().st_size


# --- import_dump --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_fixture_import(tmp_path, fmt):
    dst = tmp_path / "out.txt"
    calls = []
    report = import_dump(FIXTURES / f"mini.{fmt}", dst, progress=lambda *a: calls.append(a))
    assert (report.documents_read, report.documents_kept) == (12, 7)
    assert report.skipped == {"redirect": 2, "namespace": 2, "too short": 1}
    assert report.bytes_read == (FIXTURES / f"mini.{fmt}").stat().st_size
    assert not report.stopped
    text = dst.read_text(encoding="utf-8")
    assert text == (FIXTURES / "mini.expected.txt").read_text(encoding="utf-8")
    assert report.characters_written == len(text)
    assert calls[-1] == (report.bytes_read, report.bytes_read, 12, 7)
    assert "kept 7 of 12 documents" in report.summary()
    assert not list(tmp_path.glob(".*part"))


def test_the_report_counts_and_names_the_documents_whose_markup_was_repaired(tmp_path):
    body = "정상 문장이 충분히 길게 이어지는 본문이다. " * 3
    docs = [{"namespace": 0, "title": f"고장 {i}", "text": f"{body}\n{{{{{{닫히지 않은 블록 {i}\n{body}"} for i in range(12)]
    docs += [{"namespace": 0, "title": "멀쩡", "text": f"[[링크]] {{{{{{#red 빨강}}}}}} {body}"}]
    src = tmp_path / "dump.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    report = import_dump(src, tmp_path / "out.txt")
    assert report.documents_kept == 13 and report.repaired == 12
    assert report.repaired_titles == [f"고장 {i}" for i in range(10)]
    assert "repaired broken markup in 12 documents (고장 0, 고장 1" in report.summary() and ", …)" in report.summary()
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "닫히지 않은 블록 11" in text and "{" not in text


def _derailing_convert(real_convert):
    """A converter with one construct that derails it, as a literal of one backslash once did: from
    the word "탈선" on, nothing of the page is kept."""
    def convert(markup, options=TextOptions()):
        before, derailed, _ = markup.partition("탈선")
        converted = real_convert(before, options)
        return Conversion(converted.text, converted.repairs + bool(derailed))
    return convert


def test_a_page_the_oracle_finds_short_is_converted_again_by_sections_or_named(tmp_path, monkeypatch):
    derailing = _derailing_convert(namumark.convert)
    monkeypatch.setattr(namumark, "convert", derailing)  # what convert_by_sections calls
    monkeypatch.setattr(namuwiki, "convert", derailing)
    sections = [f"== 제{n}절 ==\n가상 항구의 {n}번째 이야기가 여기에 길게 이어진다." for n in range(1, 6)]
    sections[1] += " 탈선"
    recoverable = "\n".join(sections)  # the construct costs its own section only, once sections are apart
    lost = "탈선 " + "한 절뿐인 문서의 본문이 모두 사라진다. " * 5  # one section: nothing to split
    whole = "정상 문서의 본문이 처음부터 끝까지 그대로 남는다. " * 5
    docs = [{"namespace": 0, "title": "절마다", "text": recoverable}, {"namespace": 0, "title": "잃음", "text": lost},
            {"namespace": 0, "title": "멀쩡", "text": whole}]
    src = tmp_path / "dump.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    report = import_dump(src, tmp_path / "out.txt", ImportOptions(min_chars=0))
    assert (report.by_sections, report.by_sections_titles) == (1, ["절마다"])
    assert (report.incomplete, report.incomplete_titles) == (1, ["잃음"])
    assert "converted 1 document section by section (절마다)" in report.summary()
    assert "could not fully convert 1 document, text may be missing (잃음)" in report.summary()
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    for n in (1, 3, 4, 5):  # the sections after the derailing one are back
        assert f"가상 항구의 {n}번째 이야기" in text


def test_a_page_whose_literals_quote_markup_is_kept_whole_and_not_reported(tmp_path):
    """The kind of page the issue saw lose most of its words: a help page quoting its markup in
    literals, one of them a lone backslash."""
    body = ("이스케이프 문자는 {{{\\}}}이고 링크는 {{{[[문서]]}}}로, 색은 {{{{{{#red 글}}}}}}로 쓴다. "
            "상자는 {{{#!wiki style=\"padding:4px\"\n상자 속 '''설명''' 문장\n}}} 처럼 연다. ")
    page = "\n".join(f"== 항목 {n} ==\n{body}\n그 밖의 설명 {n}번이 뒤따른다." for n in range(1, 8))
    src = tmp_path / "dump.jsonl"
    src.write_text(json.dumps({"namespace": 0, "title": "문법 안내", "text": page}, ensure_ascii=False), encoding="utf-8")
    report = import_dump(src, tmp_path / "out.txt")
    assert report.documents_kept == 1 and report.incomplete == 0 and report.by_sections == 0, report.summary()
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert text.count("이스케이프 문자는 \\이고 링크는 [[문서]]로, 색은 {{{#red 글}}}로 쓴다.") == 7
    assert "그 밖의 설명 7번이 뒤따른다." in text and "상자 속 설명 문장" in text


def test_import_filters_and_limits(tmp_path):
    src, dst = FIXTURES / "mini.jsonl", tmp_path / "out.txt"
    report = import_dump(src, dst, ImportOptions(title_pattern="^가상"))
    assert report.documents_kept == 6 and report.skipped == {"namespace": 2, "title": 4}
    report = import_dump(src, dst, ImportOptions(max_documents=2))
    assert report.documents_kept == 2 and report.stopped and report.skipped == {"limit": 1}
    assert dst.read_text(encoding="utf-8").count("\n\n") == 1
    report = import_dump(src, dst, ImportOptions(max_output_chars=10))
    assert report.documents_kept == 1 and report.stopped
    report = import_dump(src, dst, ImportOptions(namespaces=("0", "1", "2"), min_chars=0))
    assert report.documents_kept == 10 and report.skipped == {"redirect": 2}
    report = import_dump(src, dst, should_stop=lambda: True)
    assert report.stopped and report.documents_read == 1


def test_sampling_is_seeded_and_stable_across_formats(tmp_path):
    kept = {}
    for fmt in FORMATS:
        report = import_dump(FIXTURES / f"mini.{fmt}", tmp_path / f"{fmt}.txt", ImportOptions(sample_rate=0.5, seed=3))
        kept[fmt] = (report.documents_kept, (tmp_path / f"{fmt}.txt").read_text(encoding="utf-8"))
    assert kept["json"] == kept["jsonl"] == kept["parquet"]
    outcomes = {import_dump(FIXTURES / "mini.json", tmp_path / "s.txt",
                            ImportOptions(sample_rate=0.5, seed=seed)).documents_kept for seed in range(8)}
    assert len(outcomes) > 1


def test_jamo_output(tmp_path):
    from namuweb.text.hangul import compose

    dst = tmp_path / "out.txt"
    import_dump(FIXTURES / "mini.json", dst, ImportOptions(jamo=True))
    jamo = dst.with_suffix(".jamo.txt").read_text(encoding="utf-8")
    assert "ㄱㅏᴥ" in jamo
    assert compose(jamo) == dst.read_text(encoding="utf-8")


def test_a_failed_import_leaves_its_destination_as_it_was(tmp_path, monkeypatch):
    """A malformed dump keeps what was read before the fault (test below); any other failure (a full disk)
    puts no half-written output in place of the destination and leaves no temporary file beside it."""
    from namuweb.corpora import namuwiki
    dst = tmp_path / "out.txt"
    dst.write_text("the previous import\n", encoding="utf-8")
    converted = []

    def fills_the_disk(markup, options):
        if converted:
            raise OSError(28, "No space left on device")
        converted.append(markup)
        return namuwiki.convert(markup, options)
    monkeypatch.setattr(namuwiki, "convert", fills_the_disk)
    with pytest.raises(OSError, match="No space"):
        import_dump(FIXTURES / "mini.json", dst, ImportOptions(jamo=True))
    assert converted and dst.read_text(encoding="utf-8") == "the previous import\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def _malformed_dump(tmp_path, good_documents=400):
    """A JSON array whose document after ``good_documents`` is broken; returns (path, offset of the fault)."""
    docs = [json.dumps({"namespace": 0, "title": f"문서 {i}", "text": f"'''문서 {i}'''는 " + "가상 문장이다. " * 20,
                        "contributors": []}, ensure_ascii=False) for i in range(good_documents)]
    head = ("[" + ",\n".join(docs) + ",\n").encode()
    path = tmp_path / "broken.json"
    path.write_bytes(head + b'{"namespace": 0, "title": "broken" "text": "x"},\n' + b"[]" * 100_000 + b"]")
    return path, len(head)


def test_malformed_json_in_the_middle(tmp_path):
    path, fault = _malformed_dump(tmp_path)
    with pytest.raises(DumpError) as caught:
        list(iter_documents(path))
    assert fault <= caught.value.offset <= fault + 64 * 1024
    assert f"near byte {caught.value.offset}" in str(caught.value)

    dst = tmp_path / "out.txt"
    with pytest.raises(DumpError, match="malformed JSON near byte") as caught:
        import_dump(path, dst)
    assert caught.value.report.documents_kept == 400
    assert dst.read_text(encoding="utf-8").count("\n\n") == 399  # every document before the fault, whole


def test_malformed_json_lines_give_the_exact_offset(tmp_path):
    lines = (FIXTURES / "mini.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join(lines[:3]) + b'{"title": oops}\n' + b"".join(lines[3:]))
    fault = sum(map(len, lines[:3]))
    with pytest.raises(DumpError) as caught:
        list(iter_documents(path))
    assert caught.value.offset == fault + len(b'{"title": ')


# --- streaming memory -----------------------------------------------------------------------

_CHILD = textwrap.dedent("""
    import re, sys
    from pathlib import Path
    from namuweb.corpora.namuwiki import import_dump
    report = import_dump(Path(sys.argv[1]), Path(sys.argv[2]))
    # VmHWM, not ru_maxrss: Linux carries the forking parent's (pytest's) peak into ru_maxrss across exec
    peak_kb = int(re.search(r"VmHWM:\\s*(\\d+)", Path("/proc/self/status").read_text()).group(1))
    print(report.documents_read, report.documents_kept, peak_kb)
""")


def write_big_dump(path: Path, megabytes: int) -> int:
    """A JSON array of ``megabytes`` MB made of one repeated block of invented documents; returns the count."""
    text = ("== 개요 ==\n'''가상도시'''는 [[가상국]]의 [[항구 도시|항구도시]]이다.[* 각주.]\n"
            "|| 이름 || 값 ||\n{{{#!wiki style=\"a\"\n{{{+1 큰 글씨}}} 내용\n}}}\n") * 20
    block = ",\n".join(json.dumps({"namespace": 0, "title": f"문서 {i}", "text": text, "contributors": ["a"]},
                                  ensure_ascii=False) for i in range(100)).encode()
    repeats = megabytes * 1_000_000 // len(block) + 1
    with path.open("wb") as f:
        f.write(b"[")
        for i in range(repeats):
            f.write(block if i == 0 else b",\n" + block)
        f.write(b"]")
    return repeats * 100


def test_streaming_import_memory_stays_flat(tmp_path, figure):
    """A 60 MB dump through import_dump in a child process whose peak RSS stays under half the dump's size.

    Reading the dump whole would hold at least its 60 MB of bytes; streaming it holds one record."""
    src = tmp_path / "big.json"
    count = write_big_dump(src, 60)
    assert src.stat().st_size > 60_000_000
    result = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(tmp_path / "out.txt")], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    read, kept, peak_kb = map(int, result.stdout.split())
    assert read == kept == count
    figure(f"importing a {src.stat().st_size / 1e6:.0f} MB dump: peak RSS {peak_kb / 1024:.0f} MB")
    assert peak_kb * 1024 < src.stat().st_size / 2, f"peak RSS {peak_kb / 1024:.0f} MB"


def test_one_long_article_is_read_in_few_growing_reads_and_the_next_in_small_ones(tmp_path):
    """yajl scans a token that spans reads again on every read, so 64 kB reads made parsing a long
    article quadratic in its length. Inside a long string the reads double: an article of N bytes
    takes about log2(N / 64 kB) reads instead of N / 64 kB. (That reads are small again after it,
    so an error's offset stays precise, is test_malformed_json_in_the_middle's business.)"""
    from namuweb.corpora import namuwiki
    text = "나무위키 문서의 본문입니다. " * 400_000  # 6.4 M characters, 17 MB of UTF-8
    dump = tmp_path / "long.json"
    dump.write_text(json.dumps([{"title": "긴 문서", "text": text}, {"title": "짧은 문서", "text": "짧다"}],
                               ensure_ascii=False), encoding="utf-8")
    positions = []
    records = list(namuwiki.iter_documents(dump, progress_bytes=positions.append))
    assert [len(r["text"]) for r in records] == [len(text), 2]
    reads = [b - a for a, b in zip([0, *positions], positions) if b > a]
    assert len(reads) <= 12, f"{len(reads)} reads for a {dump.stat().st_size:,}-byte file"  # 64 kB reads: 270


def test_deeply_nested_arrays_are_refused_at_once_in_little_memory(tmp_path):
    import gzip
    import time
    import tracemalloc
    from namuweb.corpora.namuwiki import MAX_JSON_DEPTH, iter_documents
    dump = tmp_path / "nested.json.gz"
    dump.write_bytes(gzip.compress(b"[" * 100_000 + b"]" * 100_000))  # a few hundred bytes
    plain = tmp_path / "nested.json"
    plain.write_bytes(gzip.decompress(dump.read_bytes()))
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(DumpError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        list(iter_documents(plain))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.monotonic() - started < 5 and peak < 20_000_000, (time.monotonic() - started, peak)


def test_one_record_larger_than_any_article_is_refused_while_streaming(tmp_path, monkeypatch):
    from namuweb.corpora import namuwiki
    monkeypatch.setattr(namuwiki, "MAX_DOCUMENT_CHARS", 1000)
    dump = tmp_path / "big.json"
    dump.write_text('[{"title": "a", "text": "짧다"}, {"title": "b", "text": "' + "가" * 2000 + '"}]', encoding="utf-8")
    records = namuwiki.iter_documents(dump)
    assert next(records)["title"] == "a"  # every record before the fault is yielded
    with pytest.raises(DumpError, match="record 2 is larger than"):
        next(records)


def test_a_deeply_nested_json_line_is_a_clear_error(tmp_path):
    from namuweb.corpora.namuwiki import iter_documents
    dump = tmp_path / "nested.jsonl"
    dump.write_text('{"title": "a", "text": "b"}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(DumpError, match="nested deeper"):
        list(iter_documents(dump, "jsonl"))


# --- records over the limit, refused while they are read ------------------------------------

_PEAK_OF_CHILD = textwrap.dedent("""
    # Runs the command given and prints its peak RSS in kB. The measuring process is small, so its own
    # peak, which Linux carries into a forked child's ru_maxrss across exec, does not cloud the figure.
    import resource, subprocess, sys
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    sys.stderr.write(done.stderr)
    print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
""")

_HUGE_RECORD = textwrap.dedent("""
    # Writes a gzipped dump whose second record holds one string of HUGE bytes (a few hundred kB packed).
    import gzip, io, json, sys
    fmt, target, huge = sys.argv[1], sys.argv[2], int(sys.argv[3])
    small = {"namespace": "0", "title": "짧은 문서", "text": "나무위키 문서의 본문입니다. " * 20}
    with gzip.open(target, "wb", compresslevel=1) as out:
        if fmt == "parquet":
            import pyarrow as pa, pyarrow.parquet as pq
            table = pa.table({k: [small[k], v] for k, v in {"namespace": "0", "title": "긴 문서",
                                                            "text": "가" * (huge // 3)}.items()})
            buffer = io.BytesIO()
            pq.write_table(table, buffer, use_dictionary=False, compression="zstd")  # quick to write
            out.write(buffer.getvalue())
        else:
            head, tail = b'{"namespace": "0", "title": "\\xea\\xb8\\xb4", "text": "', b'"}'
            first = json.dumps(small, ensure_ascii=False).encode()
            out.write(b"[" + first + b",\\n" + head if fmt == "json" else first + b"\\n" + head)
            block = "가".encode() * (1 << 20)
            for _ in range(huge // len(block)):
                out.write(block)
            out.write(tail + (b"]" if fmt == "json" else b"\\n"))
""")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_record_of_hundreds_of_megabytes_is_refused_while_read_in_bounded_memory(tmp_path, isolated_home, fmt,
                                                                                    figure):
    """A record far over the limit (one string of 200 MB) in a dump of a few hundred kB of gzip, imported the way
    the command line and the Corpora page import it (unpacked, then read): refused with the limit and where
    it is, and the whole import stays under 300 MB. Reading a line whole, letting yajl hold a whole string
    or pyarrow unpack a whole page first held the record once or twice over."""
    dump = tmp_path / f"huge.{fmt}.gz"
    subprocess.run([sys.executable, "-c", _HUGE_RECORD, fmt, str(dump), str(200 * 2**20)], check=True, timeout=120)
    assert dump.stat().st_size < 20 * 2**20
    done = subprocess.run([sys.executable, "-c", _PEAK_OF_CHILD, sys.executable, "-m", "namuweb", "corpora", "add",
                           str(dump)], cwd=REPO, capture_output=True, text=True, timeout=300)
    code, peak_kb = map(int, done.stdout.split())
    figure(f"a {fmt} dump with a 200 MB record: refused at a peak RSS of {peak_kb / 1024:.0f} MB")
    assert peak_kb < 300 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    assert code == 2, done.stderr
    from namuweb.corpora.namuwiki import MAX_RECORD_BYTES
    message = done.stderr.strip().splitlines()[-1]
    assert f"{MAX_RECORD_BYTES:,} bytes" in message and "near byte" in message, message
    if fmt == "jsonl":
        assert "line 2 " in message, message


def test_a_line_at_the_byte_limit_is_read_and_one_byte_more_is_refused(tmp_path, monkeypatch):
    from namuweb.corpora import namuwiki
    monkeypatch.setattr(namuwiki, "MAX_RECORD_BYTES", 100)
    record = '{"title": "a", "text": "' + "x" * (100 - len('{"title": "a", "text": ""}')) + '"}'
    assert len(record) == 100
    dump = tmp_path / "edge.jsonl"
    dump.write_text(f"{record}\n{record}")
    assert [r["title"] for r in iter_documents(dump)] == ["a", "a"]
    dump.write_text(f"{record}\n{record.replace('x', 'xx', 1)}\n")
    with pytest.raises(DumpError, match="line 2 is longer than 100 bytes") as caught:
        list(iter_documents(dump))
    assert caught.value.offset == 101


def test_an_array_element_over_the_byte_limit_is_refused_before_it_is_read_to_its_end(tmp_path, monkeypatch):
    """Where each element begins is known to within one read (64 kB), so the limit is checked at that grain."""
    from namuweb.corpora import namuwiki
    monkeypatch.setattr(namuwiki, "MAX_RECORD_BYTES", 1_000_000)
    dump = tmp_path / "edge.json"
    dump.write_text(json.dumps([{"title": "a", "text": "x" * 900_000}, {"title": "b", "text": "y" * 3_000_000}]))
    positions = []
    records = iter_documents(dump, progress_bytes=positions.append)
    assert next(records)["title"] == "a"
    with pytest.raises(DumpError, match="record 2 is longer than 1,000,000 bytes"):
        next(records)
    assert max(positions) < 900_000 + 1_000_000 + 200_000  # not the 3.9 MB to the record's end


def test_parquet_page_sizes_are_read_from_the_page_headers(tmp_path):
    """The page walk that refuses an oversized page before pyarrow unpacks it reads every page header of a
    column chunk (statistics included) and lands exactly on the chunk's end."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from namuweb.corpora import namuwiki
    texts = [f"문서 {i} " * 20 for i in range(2000)]
    texts[1234] = "긴" * 50_000  # 150,000 bytes: a page of its own
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"title": [str(i) for i in range(2000)], "text": texts}), path, data_page_size=20_000,
                   write_batch_size=50,
                   use_dictionary=False, compression="snappy")
    column = pq.ParquetFile(path).metadata.row_group(0).column(1)
    with path.open("rb") as f:
        largest, offset = namuwiki._largest_page(f, column)
    assert 150_000 <= largest < 150_000 + 20_000 + 50 * 200  # the long text, and what a page held before it
    assert column.data_page_offset < offset < column.data_page_offset + column.total_compressed_size


@pytest.fixture
def helpers_for_any_size(monkeypatch):
    """Conversion in two helper processes whatever the dump's size (normally only from 32 MB)."""
    monkeypatch.setattr(namuwiki, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(namuwiki, "CONVERSION_BATCH", 3)   # several batches in flight even on a small dump
    monkeypatch.setattr(namuwiki, "MAX_CONVERSION_WORKERS", 2)


def test_conversion_in_helper_processes_writes_what_one_process_writes(tmp_path, helpers_for_any_size):
    serial_dst, parallel_dst = tmp_path / "serial.txt", tmp_path / "parallel.txt"
    with pytest.MonkeyPatch.context() as one_process:
        one_process.setattr(namuwiki, "PARALLEL_FROM_BYTES", 10**12)
        serial = import_dump(FIXTURES / "mini.jsonl", serial_dst, ImportOptions(namespaces=("0", "1", "2")))
    assert namuwiki.conversion_workers(1) == 2
    parallel = import_dump(FIXTURES / "mini.jsonl", parallel_dst, ImportOptions(namespaces=("0", "1", "2")))
    assert parallel_dst.read_text(encoding="utf-8") == serial_dst.read_text(encoding="utf-8")
    assert (parallel.documents_read, parallel.documents_kept, parallel.skipped, parallel.repaired) == \
        (serial.documents_read, serial.documents_kept, serial.skipped, serial.repaired)
    limited = import_dump(FIXTURES / "mini.jsonl", parallel_dst, ImportOptions(max_documents=2))
    assert limited.documents_kept == 2 and limited.stopped and limited.skipped == {"limit": 1}


def test_helper_processes_keep_every_document_before_a_fault(tmp_path, helpers_for_any_size):
    path, _ = _malformed_dump(tmp_path, good_documents=50)
    dst = tmp_path / "out.txt"
    with pytest.raises(DumpError, match="malformed JSON near byte") as caught:
        import_dump(path, dst)
    assert caught.value.report.documents_kept == 50
    assert dst.read_text(encoding="utf-8").count("\n\n") == 49
