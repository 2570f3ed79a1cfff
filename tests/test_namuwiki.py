"""namuweb.corpora.namuwiki: namu-mark conversion, streaming readers and the dump import."""

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namuweb.corpora.namuwiki import (DumpError, ImportOptions, ImportReport, detect_format, import_dump, is_redirect,
                              iter_documents, to_text)

FIXTURES = Path(__file__).parent / "fixtures" / "namuwiki"
REPO = Path(__file__).resolve().parent.parent
FORMATS = ("json", "jsonl", "parquet")


# --- to_text: each construct --------------------------------------------------------

@pytest.mark.parametrize("markup, expected", [
    ("[[서울]]은 수도", "서울은 수도"),
    ("[[대한민국|한국]]의 수도", "한국의 수도"),
    ("[[:파일:지도.png]] 문서", "파일:지도.png 문서"),
    ("[[파일:사진.jpg|width=100]]사진 [[File:a.png]][[분류:도시]][[이미지:b.png]]", "사진"),
    ("[[https://example.com|누리집]]", "누리집"),
    ("'''굵게''' ''기울임'' __밑줄__ ~~취소~~ --취소-- ^^위^^ ,,아래,,", "굵게 기울임 밑줄 취소 취소 위 아래"),
    ("{{{+1 큰}}} {{{-2 작은}}} {{{#red 빨강}}} {{{#ff0000 빨강2}}} {{{#f00,#0f0 다크}}}", "큰 작은 빨강 빨강2 다크"),
    ("{{{#!html <b>굵게</b>}}}본문", "본문"),
    ('{{{#!wiki style="border:1px solid"\n안쪽 [[링크]] 글\n}}}', "안쪽 링크 글"),
    ("{{{#!folding 더보기\n접힌 내용\n}}}", "더보기\n접힌 내용"),
    ("앞 {{{#!syntax python\nprint(1)\n}}} 뒤", "앞 뒤"),
    ("코드 {{{[[안링크]]}}} 끝", "코드 끝"),
    ("= 제목 =\n== 개요 ==\n본문\n===# 접힘 #===\n내용\n====== 육 ======", "제목\n개요\n본문\n접힘\n내용\n육"),
    ("||<tablebordercolor=#000><:> 이름 ||<-2> 값 ||\n|| a || b ||", "이름 값\na b"),
    ("||<table align=center><|2> 칸 ||<bgcolor=#fff> 둘 ||", "칸 둘"),
    ("본문[* 각주.]입니다.", "본문입니다."),
    ("본문[*A 라벨 각주] 다시[*A]", "본문 다시"),
    ("[목차]\n[tableofcontents]\n[include(틀:상위 문서, top1=x)]\n본문[각주][footnote]", "본문"),
    ("첫줄[br]둘째줄[BR]셋째", "첫줄\n둘째줄\n셋째"),
    ("a [youtube(abc, width=640)] [date] [datetime] [pagecount] [age(2000-01-01)] [dday(2030-01-01)] "
     "[anchor(x)] [clearfix] [ruby(글,ruby=x)] b", "a b"),
    ("## 주석 [[링크]]\n본문", "본문"),
    ("> 인용문\n>> 겹인용", "인용문\n겹인용"),
    (" * 별\n 1. 하나\n a. 가\n i. 로마\n  * 들여쓴 별", "별\n하나\n가\n로마\n들여쓴 별"),
    ("위\n----\n아래", "위\n\n아래"),
    ("한 줄<br>두 줄<br/>세 줄", "한 줄\n두 줄\n세 줄"),
    ("가\n\n\n\n나   \n", "가\n\n나"),
    ("[1] 대괄호 [참고]", "[1] 대괄호 [참고]"),
    ("", ""),
])
def test_each_construct(markup, expected):
    assert to_text(markup) == expected


@pytest.mark.parametrize("markup, expected", [
    ("본문[* 각주 [[링크|라벨]] 설명]끝", "본문끝"),
    ("[[문서|'''굵은 [[파일:x.png]] 라벨''']]", "굵은 라벨"),
    ("{{{#!wiki style=\"a\"\n{{{#!folding 제목\n{{{+1 '''[[깊은|링크]]'''}}}[* 주석 {{{#blue 파랑}}}]\n}}}\n}}}",
     "제목\n링크"),
    ("{{{#!syntax python\nx = '''{{{안}}}'''\n}}}뒤", "뒤"),
    ("||{{{#red 빨강}}}||[[a|b]][* 주]||", "빨강 b"),
    ("== [[서울]] 개요[* 주] ==", "서울 개요"),
    ("[* 바깥 [br] 안쪽]뒤", "뒤"),
    ("{{{#!folding 열기\n * [[가]]\n * {{{#red 나}}}\n}}}", "열기\n가\n나"),
])
def test_nested_constructs(markup, expected):
    assert to_text(markup) == expected


def test_options_change_the_output():
    markup = "== 개요 ==\n본문[* 각주 [[링크]]] 문장\n|| a || b ||\n{{{#!syntax python\nx = '''1'''\n}}}\n코드 {{{[[그대로]]}}}"
    assert to_text(markup) == "개요\n본문 문장\na b\n\n코드"
    assert to_text(markup, ImportOptions(keep_headings=False)) == "본문 문장\na b\n\n코드"
    assert to_text(markup, ImportOptions(keep_tables=False)) == "개요\n본문 문장\n\n코드"
    assert to_text(markup, ImportOptions(keep_code=True)) == "개요\n본문 문장\na b\nx = '''1'''\n코드 [[그대로]]"
    assert to_text(markup, ImportOptions(footnotes="inline")) == "개요\n본문 (각주 링크) 문장\na b\n\n코드"
    assert to_text("본문 [* 각주]", ImportOptions(footnotes="inline")) == "본문 (각주)"
    assert to_text("본문[*A 라벨 각주][*A]", ImportOptions(footnotes="inline")) == "본문 (라벨 각주)"


def test_unbalanced_markup_keeps_its_words():
    assert to_text("닫히지 않은 [[링크 글자") == "닫히지 않은 [[링크 글자"
    assert to_text("{{{#!wiki style=\"a\"\n안쪽 글") == "안쪽 글"
    assert to_text("남는 }}} 괄호 ]] 와 ]") == "남는 괄호 ]] 와 ]"


def test_is_redirect():
    assert is_redirect("#redirect 서울")
    assert is_redirect("  #넘겨주기 가상도시#역사")
    assert is_redirect("#REDIRECT 서울")
    assert not is_redirect("본문 #redirect 서울")
    assert not is_redirect("#redirect")
    assert not is_redirect(None)


def test_options_are_validated():
    assert ImportOptions(namespaces=(0, " 1"), title_pattern="").validated().namespaces == ("0", "1")
    for bad in (dict(footnotes="keep"), dict(sample_rate=0), dict(sample_rate=1.5), dict(min_chars=-1),
                dict(max_documents=0), dict(max_output_chars=-5), dict(title_pattern="("), dict(namespaces=())):
        with pytest.raises(ValueError):
            ImportOptions(**bad).validated()


# --- to_text: robustness -------------------------------------------------------------

_NAMU_PIECES = st.sampled_from(["[[", "]]", "[", "]", "[*", "{{{", "}}}", "|", "||", "'''", "''", "=", "==",
                                "\n", " ", "#!wiki style=\"", "#!folding ", "#!syntax ", "#!html", "#red ", "+1 ",
                                "[br]", "[include(", ")]", "<br>", "<-2>", ">", " * ", "##", "----", "가", "a",
                                "\ue000", "\ue001", "\r", "^^", ",,"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_NAMU_PIECES, max_size=60).map("".join))
def test_fuzz_never_raises(markup):
    for options in (ImportOptions(), ImportOptions(keep_code=True, footnotes="inline", keep_tables=False)):
        assert isinstance(to_text(markup, options), str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text_never_raises(markup):
    assert isinstance(to_text(markup), str)
    assert isinstance(is_redirect(markup), bool)


@pytest.mark.parametrize("unit", ["[[", "{{{", "[[a|{{{#!wiki style=\"", "[*[", "{{{#!folding [[", "= ", "||<"])
def test_adversarial_nesting_is_linear(unit):
    markup = unit * (200_000 // len(unit))
    started = time.process_time()  # CPU seconds: a loaded machine's pauses are not the parser's work
    to_text(markup, ImportOptions(keep_code=True, footnotes="inline"))
    assert time.process_time() - started < 1.0


def test_doubling_input_about_doubles_time():
    base = ("== 개요 ==\n'''[[가상|도시]]'''[* 각주 [[링크]]] {{{#!wiki style=\"a\"\n{{{+1 글}}}\n}}}\n"
            "|| a || b ||\n [[[[{{{ ") * 2000

    def best(markup):
        """This process's CPU seconds, not wall time: on a loaded machine a run that the scheduler
        pauses would look slower than its work (a 12 ms run once read 41 ms beside two busy cores)."""
        times = []
        for _ in range(5):
            started = time.process_time()
            to_text(markup)
            times.append(time.process_time() - started)
        return min(times)

    small, large = best(base), best(base * 2)
    assert large < 3.5 * small


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
