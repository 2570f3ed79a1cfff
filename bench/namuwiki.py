"""MB/s and documents/s of ``namuwiki.import_dump`` on a generated ~200 MB dump, and its peak memory.

    python bench/namuwiki.py [--megabytes 200] [--format json|jsonl]

Three runs on the same dump: reading the JSON alone (the floor), converting
the markup alone (``namumark.convert`` on the first 20,000 documents, already
in memory) and the import end to end (read, filter, convert with the oracle
beside it, write).

The dump repeats a block of invented documents in the mix a real dump has
(long prose articles with links, footnotes, tables and ``{{{ }}}`` blocks,
one in twenty-five with an unclosed block, plus redirects and short stubs),
so the figures include skipping and repairing.  Each run is a fresh child
process, so its peak RSS (VmHWM) is the import's own; a dump of 32 MB or more is converted in helper
processes (``namuwiki.conversion_workers``: one per core, up to four), whose largest peak is printed too.
Goal: >= 20 MB/s end to end and for the conversion, with peak RSS under 200 MB
(flat: the same on a 1 GB dump as on 200 MB).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_ARTICLE = (
    "[include(틀:상위 문서, top1=가상국)]\n[목차]\n== 개요 ==\n"
    "'''{title}'''는 [[가상국]] 남부의 [[항구 도시|항구도시]]로, 오래전부터 바다와 함께 살아온 사람들이 모여 이룬 곳이다."
    "[* 가상 통계청, 2020년 조사.] 인구는 약 30만 명이며 ''조선업''과 __어업__이 발달했다.\n"
    "== 역사 ==\n=== 고대 ===\n옛 기록에 따르면 이 지역은 ~~작은~~ 큰 포구였고, 주변 [[가상 산맥|산맥]]에서 내려오는 "
    "물길 덕분에 농사도 잘 되었다. 사람들은 봄마다 배를 띄우고 가을이면 마을 잔치를 열었다.[*A 구전에 따른 내용.]\n"
    "||<tablebordercolor=#000><:> 연도 ||<:> 사건 ||\n|| 1910년 || [[가상 철도]] 개통 ||\n|| 1950년 || 항만 확장 ||\n"
    "{{{#!wiki style=\"border:1px solid #ccc\"\n{{{+1 '''주요 산업'''}}}[br]조선, 어업, 관광이 도시 경제의 세 기둥이다.\n}}}\n"
    " * 명소: [[등대 공원]], [[모래 해변]]\n * 특산물: {{{#red 붉은 모래떡}}}\n"
    "> 바다가 곧 길이다. - 어느 뱃사람\n"
    "이 도시는 오늘날에도 해마다 많은 관광객이 찾는 곳이며, 최근에는 [[문화 축제]]로도 널리 알려져 있다.\n"
    "[[분류:가상국의 도시]][[파일:전경.jpg|width=300]]\n") * 3


def write_dump(path: Path, megabytes: int, fmt: str) -> int:
    docs = []
    for i in range(100):
        if i % 10 == 0:
            docs.append({"namespace": 0, "title": f"별칭 {i}", "text": f"#redirect 가상도시 {i}", "contributors": []})
        elif i % 10 == 1:
            docs.append({"namespace": 1, "title": f"틀:안내 {i}", "text": "틀 문서입니다.", "contributors": []})
        else:
            text = _ARTICLE.replace("{title}", f"가상도시 {i}")
            if i % 25 == 2:  # real dumps hold pages with broken markup: an unclosed block in section two
                text = text.replace("== 역사 ==", "{{{#!wiki style=\"x\"\n== 역사 ==", 1)
            docs.append({"namespace": 0, "title": f"가상도시 {i}", "text": text, "contributors": ["편집자"]})
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    block = (",\n".join(lines) if fmt == "json" else "\n".join(lines) + "\n").encode()
    repeats = megabytes * 1_000_000 // len(block) + 1
    with path.open("wb") as f:
        f.write(b"[" if fmt == "json" else b"")
        for i in range(repeats):
            f.write(b",\n" + block if fmt == "json" and i else block)
        f.write(b"]" if fmt == "json" else b"")
    return repeats * len(docs)


_CHILD = """
import re, sys, time
from pathlib import Path
from itertools import islice
from namuweb.corpora.namumark import convert
from namuweb.corpora.namuwiki import import_dump, iter_documents
src, dst, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if mode == "convert":
    pages = [doc["text"] for doc in islice(iter_documents(src), 20_000)]
    size = sum(len(page.encode()) for page in pages)
started = time.perf_counter()
if mode == "parse":
    n = sum(1 for _ in iter_documents(src))
    kept = n
elif mode == "convert":
    n = len(pages)
    kept = sum(1 for page in pages if convert(page).repairs)  # here: the pages whose markup was repaired
else:
    report = import_dump(src, dst)
    n, kept = report.documents_read, report.documents_kept
seconds = time.perf_counter() - started
peak = int(re.search(r"VmHWM:\\s*(\\d+)", Path("/proc/self/status").read_text()).group(1))
print(n, kept, seconds, peak, size if mode == "convert" else src.stat().st_size)
if mode == "import":
    import resource
    print(report.by_sections, report.incomplete, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


def namuwiki_workers(size: int) -> int:
    sys.path.insert(0, str(ROOT))
    from namuweb.corpora.namuwiki import conversion_workers
    return conversion_workers(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--format", choices=("json", "jsonl"), default="json")
    args = parser.parse_args()
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"dump.{args.format}"
        write_dump(src, args.megabytes, args.format)
        size = src.stat().st_size
        print(f"{args.format} dump: {size / 1e6:,.0f} MB")
        rates = {}
        for mode in ("parse", "convert", "import"):
            out = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(Path(tmp) / "out.txt"), mode],
                                 cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
            n, kept, seconds, peak, nbytes = int(out[0]), int(out[1]), float(out[2]), int(out[3]), int(out[4])
            rates[mode] = nbytes / 1e6 / seconds
            label = {"parse": "read JSON only", "convert": "convert only", "import": "import end to end"}[mode]
            if mode == "import":
                by_sections, incomplete, helpers_peak = int(out[5]), int(out[6]), int(out[7])
            if mode == "convert":
                print(f"{label:18s}: {rates[mode]:6.1f} MB/s  {n / seconds:8,.0f} documents/s  "
                      f"({kept:,} of {n:,} repaired, {seconds:.1f} s)")
            else:
                print(f"{label:18s}: {rates[mode]:6.1f} MB/s  {n / seconds:8,.0f} documents/s  "
                      f"({kept:,} of {n:,} kept, {seconds:.1f} s)  peak RSS {peak / 1024:.0f} MB")
        print(f"the import's oracle: {by_sections:,} documents converted again by sections, "
              f"{incomplete:,} reported as not fully converted")
        print(f"the import's conversion helpers: {namuwiki_workers(size)} processes, the largest peak RSS "
              f"{helpers_peak:,} MB each (the import's whole peak: at most {peak / 1024 + namuwiki_workers(size) * helpers_peak:,.0f} MB)")
        print(f"import end to end / reading alone: {rates['import'] / rates['parse']:.2f}x the speed; "
              f"goal: import and conversion >= 20 MB/s, peak RSS < 200 MB")
    print(f"bench took {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    main()
