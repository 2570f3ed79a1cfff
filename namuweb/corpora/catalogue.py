"""The corpus catalogue: open Korean texts one click away, with their licence and attribution.

Each entry names its files where the source's own repository publishes them (raw files or release
assets), their format, and how that format becomes plain text (one paragraph, verse, review or page a
line).  The converters stream: a file is read a record at a time and written as it is read, with the
import code the app already has where it fits (JSON lines and Parquet through
:func:`namuweb.corpora.namuwiki.iter_documents`).

``NAMUWEB_CORPUS_MIRROR`` (a folder, or an http(s) base address) serves the catalogue's files from
elsewhere, as ``<mirror>/<entry>/<file name>``: for machines without the internet, private mirrors and
the tests.  The real locations stay here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from namuweb import storage

MIRROR_ENV = "NAMUWEB_CORPUS_MIRROR"


@dataclass(frozen=True)
class SourceFile:
    """One file of an entry: where it is published, the name it is kept under, and what is known of it."""

    url: str
    name: str                      # its name in the job folder and in a mirror
    member: str | None = None      # the file inside a zip archive that holds the text
    size: int | None = None        # exact size in bytes, when the source pins it (checked)
    sha256: str | None = None      # checksum, when the source pins it (checked)


@dataclass(frozen=True)
class CatalogueEntry:
    name: str                      # the id: `python -m namuweb corpora get NAME`
    title: str
    description: str
    licence: str
    attribution: str
    homepage: str
    format: str                    # a key of CONVERTERS
    files: tuple[SourceFile, ...]
    approx_bytes: int              # what is downloaded, about
    approx_chars: int              # what the corpus holds, about
    non_commercial: bool = False

    @property
    def licence_line(self) -> str:
        return self.licence + (" — non-commercial use only" if self.non_commercial else "")


_GITHUB_RAW = "https://raw.githubusercontent.com"

# KoCoNovel's folders under data/jsonl/, as its repository names them: <ID>_<translated title>.
KOCONOVEL_NOVELS = (
    "1_Ms._B_and_Love_Letters", "2_A_Sweetheart", "3_A_Fictional_Rogue_Girl", "4_Wedding", "5_Kyung-hee",
    "6_A_Strange_Monk", "7_The_Woman", "8_Dark_Moon", "9_A_Field_of_Beans_Where_Gold_is_Buried", "10_Rich_Mine",
    "11_The_Daedong_River_Whispers", "12_City_and_Ghost", "13_Ddaraji", "14_Manmubang", "15_When_the_Sun_Rises",
    "16_When_Buckwheat_Flowers_Blossom", "17_Good_Sentences", "18_The_Unknown_Woman", "19_The_Mother_and_the_Son",
    "20_Anemone", "21_The_Death_of_Park_Chum-ji", "22_The_Mute_Samurai", "23_Spring_Spring",
    "24_The_Father_and_the_Son", "25_Fire", "26_A_Poverty-Stricken_Wife", "27_The_Son-in-Law", "28_A_Boy_s_Woes",
    "29_The_Calf", "30_Purehearted_Prince_Hodong", "31_Society_Authorizing_Alcohol", "32_The_Newspaper_and_the_Cage",
    "33_Miracles_of_Coincidence", "34_A_Lucky_Day", "35_Enemies_to_Benefactors", "36_Presence", "37_Girl_of_Doubt",
    "38_Eisig_and_Doseung", "39_The_Rose_is_Diseased", "40_Passionate_Princess_Nangnang", "41_Jeong-hee", "42_Youth",
    "43_The_Bachelor_and_the_Blind_Eel", "44_Escape_Chronicles", "45_Break_at_Dawn", "46_Sunrise",
    "47_Floral_Tribute", "48_The_Bull_and_the_Goblin", "49_Later_Baekje_Chronicles", "50_Baptism_of_Soil",
)

ENTRIES: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        name="koconovel", title="KoCoNovel: 50 Korean novels and short stories",
        description="Public-domain fiction of the 1920s-40s (현진건, 김유정, 이효석, 나도향, 김동인, …), spelling "
                    "modernised; one paragraph a line. The best first text for the char-LSTM.",
        licence="CC BY-SA 4.0 (the works themselves are in the public domain)",
        attribution="KoCoNovel, Kyuhee Kim, Surin Lee, Sangah Lee (2024), \"KoCoNovel: Annotated Dataset of "
                    "Character Coreference in Korean Novels\", arXiv:2404.01140",
        homepage="https://github.com/storidient/KoCoNovel", format="jsonl-text",
        files=tuple(SourceFile(f"{_GITHUB_RAW}/storidient/KoCoNovel/main/data/jsonl/{novel}/text.jsonl",
                               f"{novel}.jsonl") for novel in KOCONOVEL_NOVELS),
        approx_bytes=2_200_000, approx_chars=710_000),
    CatalogueEntry(
        name="bible-krv-1961", title="성경전서 개역한글판 (the 1961 Korean Bible)",
        description="The Korean Revised Version of 1961, one verse a line (66 books, 31,102 verses), unaltered.",
        licence="public domain (the Korean Bible Society asks to be named and the text left unaltered)",
        attribution="『성경전서 개역한글판』, 대한성서공회 (Korean Bible Society), 1961; digital text via "
                    "bluesaurel/Korean-Bible-1961-KRV",
        homepage="https://github.com/bluesaurel/Korean-Bible-1961-KRV", format="bible-json",
        files=(SourceFile(f"{_GITHUB_RAW}/bluesaurel/Korean-Bible-1961-KRV/main/bible_1961_krv.json",
                          "bible_1961_krv.json"),),
        approx_bytes=7_000_000, approx_chars=1_790_000),
    CatalogueEntry(
        name="nsmc", title="NSMC: Naver movie reviews",
        description="200,000 movie reviews (train and test), one a line: informal, modern Korean with "
                    "free spacing, slang and emoticons.",
        licence="CC0 1.0", attribution="Naver Sentiment Movie Corpus v1.0, Lucy Park (e9t)",
        homepage="https://github.com/e9t/nsmc", format="nsmc-tsv",
        files=(SourceFile(f"{_GITHUB_RAW}/e9t/nsmc/master/ratings_train.txt", "ratings_train.txt",
                          size=14_628_807,
                          sha256="e03b7d14e9e41be8d464a28057cd25d7396c53e67aa7fd5f7e552c59b0ee2940"),
               SourceFile(f"{_GITHUB_RAW}/e9t/nsmc/master/ratings_test.txt", "ratings_test.txt",
                          size=4_893_335,
                          sha256="8ac9f64052f11dbf6ae0acb5e038f03d90a76f0eda7820cfb3a92d02edfcebda")),
        approx_bytes=19_522_142, approx_chars=7_000_000),
    CatalogueEntry(
        name="namuwikitext-dev", title="Namuwiki text (namuwikitext, dev split)",
        description="The tutorial's kind of text: 2,525 Namuwiki pages as plain wikitext (titles and section "
                    "headings on their own lines), from the dump of 2020-03-02.",
        licence="CC BY-NC-SA 2.0 KR", non_commercial=True,
        attribution="namuwikitext, Hyunjoong Kim (lovit), 2020; from the namu.wiki dump of 2020-03-02, by its "
                    "contributors",
        homepage="https://github.com/lovit/namuwikitext", format="namuwikitext",
        files=(SourceFile("https://github.com/lovit/namuwikitext/releases/download/v0.3/namuwikitext_20200302.dev.zip",
                          "namuwikitext_20200302.dev.zip", member="namuwikitext_20200302.dev"),),
        approx_bytes=12_000_000, approx_chars=11_000_000),
    CatalogueEntry(
        name="kowikitext-dev", title="Korean Wikipedia text (kowikitext, dev split)",
        description="4,433 Korean Wikipedia articles as plain wikitext (redirects removed), from the dump of "
                    "2020-09-20.",
        licence="CC BY-SA 3.0",
        attribution="kowikitext, Hyunjoong Kim (lovit); text by the contributors of the Korean Wikipedia",
        homepage="https://github.com/lovit/kowikitext", format="namuwikitext",
        files=(SourceFile("https://github.com/lovit/kowikitext/releases/download/kowikitext.20200920.v2/"
                          "kowikitext_20200920.dev.zip", "kowikitext_20200920.dev.zip",
                          member="kowikitext_20200920.dev"),),
        approx_bytes=4_000_000, approx_chars=3_500_000),
)


def entries() -> tuple[CatalogueEntry, ...]:
    return ENTRIES


def get(name: str) -> CatalogueEntry:
    for entry in ENTRIES:
        if entry.name == name:
            return entry
    raise KeyError(f"no catalogue entry {name!r}; `python -m namuweb corpora catalogue` lists them: "
                   + ", ".join(e.name for e in ENTRIES))


def mirror() -> str | None:
    return os.environ.get(MIRROR_ENV, "").strip() or None


def location(entry: CatalogueEntry, file: SourceFile) -> str:
    """Where ``file`` is fetched from now: its published URL, or the mirror's copy (a URL or a path)."""
    base = mirror()
    if base is None:
        return file.url
    if re.match(r"(?i)https?://", base):
        return f"{base.rstrip('/')}/{entry.name}/{file.name}"
    return str(Path(base).expanduser() / entry.name / file.name)


# --- converters: the files of an entry (in order) → plain text, a record a line ----------------

_SPACES = re.compile(r"[ \t\u00a0]+")
_WIKITEXT_HEADING = re.compile(r"^\s*(=\s*)+(.*?)(\s*=)+\s*$")


def _line(text: str) -> str:
    """One record as one line: inner line breaks become spaces, runs of spaces one space."""
    return _SPACES.sub(" ", " ".join(str(text).split("\n"))).strip()


def plain_text(paths: Iterable[Path], out: TextIO, should_stop: Callable[[], bool]) -> Iterator[int]:
    """UTF-8 text as it is (blank lines dropped); yields characters written so far."""
    written = 0
    for path in paths:
        with open(path, encoding="utf-8-sig", errors="strict") as lines:
            for line in lines:
                if should_stop():
                    return
                if line.strip():
                    out.write(line.rstrip("\r\n") + "\n")
                    written += len(line)
                    yield written


def namuwikitext(paths, out, should_stop) -> Iterator[int]:
    """lovit/namuwikitext: wikitext-style lines, `` = 제목 = `` before each page and `` = = 개요 = = ``
    before each section; a heading becomes its title alone on a line, the text stays as it is."""
    written = 0
    for path in paths:
        with open(path, encoding="utf-8-sig") as lines:
            for line in lines:
                if should_stop():
                    return
                heading = _WIKITEXT_HEADING.match(line)
                text = _line(heading.group(2) if heading else line)
                if text:
                    out.write(text + "\n")
                    written += len(text) + 1
                    yield written


def _records(fmt: str, field: str) -> Callable:
    def convert(paths, out, should_stop) -> Iterator[int]:
        from namuweb.corpora import namuwiki
        written = 0
        for path in paths:
            for record in namuwiki.iter_documents(path, fmt):
                if should_stop():
                    return
                text = record.get(field) if isinstance(record, dict) else None
                for line in str(text or "").split("\n"):
                    if line := _line(line):
                        out.write(line + "\n")
                        written += len(line) + 1
                yield written
    convert.__doc__ = (f"{fmt} records (namuwiki.iter_documents reads them): the ``{field}`` of each, a "
                       "paragraph a line.")
    return convert


def tsv_column(column: str) -> Callable:
    def convert(paths, out, should_stop) -> Iterator[int]:
        written = 0
        for path in paths:
            with open(path, encoding="utf-8-sig") as lines:
                header = next(lines, "").rstrip("\r\n").split("\t")
                if column not in header:
                    raise ValueError(f"{path.name} has no {column!r} column (its header: {header[:5]})")
                index = header.index(column)
                for line in lines:
                    if should_stop():
                        return
                    cells = line.rstrip("\r\n").split("\t")
                    text = _line(cells[index]) if index < len(cells) else ""
                    if text:
                        out.write(text + "\n")
                        written += len(text) + 1
                        yield written
    convert.__doc__ = f"Tab-separated with a header line: the ``{column}`` column, a line."
    return convert


def bible_json(paths, out, should_stop) -> Iterator[int]:
    """bluesaurel/Korean-Bible-1961-KRV: ``[{"book", "chapters": [{"chapter", "verses": [{"verse", "text"}]}]}]``
    (the whole Bible, or one book's object): verses in order, one a line, the text unaltered (the Korean
    Bible Society asks that it not be changed)."""
    written = 0
    for path in paths:
        data = storage.read_json(path, encoding="utf-8-sig")  # a BOM, where a copy has one, is not JSON
        books = data if isinstance(data, list) else [data]
        for book in books:
            chapters = book.get("chapters") if isinstance(book, dict) else None
            if not isinstance(chapters, list):
                raise ValueError(f"{path.name} is not the Korean Bible's JSON (a book without chapters)")
            for chapter in chapters:
                for verse in (chapter.get("verses") or []) if isinstance(chapter, dict) else []:
                    if should_stop():
                        return
                    text = _line(verse.get("text") or "") if isinstance(verse, dict) else ""
                    if text:
                        out.write(text + "\n")
                        written += len(text) + 1
                        yield written


CONVERTERS: dict[str, Callable] = {
    "text": plain_text,
    "namuwikitext": namuwikitext,
    "jsonl-text": _records("jsonl", "text"),
    "parquet-text": _records("parquet", "text"),
    "bible-json": bible_json,
    "nsmc-tsv": tsv_column("document"),
}
