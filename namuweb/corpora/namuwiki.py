"""Import a Namuwiki dump as a plain-text corpus.

The dump is a JSON array of documents (``namespace``, ``title``, ``text`` in
namu-mark, ``contributors``) that runs to many gigabytes, so nothing here
holds the dump in memory: ``iter_documents`` streams records one at a time
from the JSON array (ijson), JSON Lines or Parquet, and ``import_dump``
converts and writes each document as soon as it is read.

Each page goes through ``namumark.convert``; one odd page never ends a long
import (a dump has millions of hand-written documents), and the report names
the pages whose broken markup was repaired.  Beside the converter runs a much
simpler oracle (``namumark.oracle_weight``): a page where the converter
keeps too few of the oracle's words is converted again a section at a time,
so one construct costs at most its section, and a page still short after that
is named in the report, since its text in the corpus is known to be incomplete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from namuweb import storage
from namuweb.corpora.namumark import (Conversion, TextOptions, convert, convert_by_sections, is_redirect,
                                      keeps_enough, oracle_weight, text_weight)

FORMATS = ("json", "jsonl", "parquet")
SKIP_REASONS = ("namespace", "title", "redirect", "sampled out", "too short", "limit")

_READ_CHUNK = 64 * 1024  # ijson read size: also how precisely a JSON error offset is known
_LONG_TOKEN_READ = 64 * 1024 * 1024  # the most one read grows to inside a long string
_PARQUET_BATCH_ROWS = 256
_PROGRESS_S = 0.1
# A dump this big converts in helper processes, batches of this many documents at a time.
PARALLEL_FROM_BYTES = 32 * 1024 * 1024
MAX_CONVERSION_WORKERS = 4
CONVERSION_BATCH = 64
REPAIRED_TITLES = 10  # how many repaired documents (and how many short ones, …) the report names


class DumpError(ValueError):
    """The dump cannot be read further; ``offset`` is the byte position near the problem."""

    def __init__(self, message: str, offset: int | None = None):
        super().__init__(message)
        self.offset = offset
        self.report: ImportReport | None = None  # what import_dump had done when it failed


# --- options -------------------------------------------------------------------


@dataclass
class ImportOptions(TextOptions):
    """Which documents of a dump become the corpus, and (from ``TextOptions``) what of each page becomes text."""

    namespaces: tuple[str, ...] = ("0",)  # articles only by default (compared as strings)
    min_chars: int = 50  # skip documents whose converted text is shorter
    title_pattern: str | None = None  # regex; keep only titles it matches (re.search)
    max_documents: int | None = None  # stop after this many kept documents
    max_output_chars: int | None = None  # stop once the text output reaches this size
    sample_rate: float = 1.0  # keep a document with this probability (stable per title and seed)
    seed: int = 0
    jamo: bool = False  # also write the jamo form next to the text

    def validated(self) -> "ImportOptions":
        """Return a normalised copy, or raise ``ValueError`` saying what is wrong."""
        namespaces = self.namespaces
        if isinstance(namespaces, (str, int)):
            namespaces = (namespaces,)
        namespaces = tuple(str(ns).strip() for ns in namespaces)
        if not namespaces:
            raise ValueError("namespaces must name at least one namespace (articles are '0')")
        if not isinstance(self.min_chars, int) or self.min_chars < 0:
            raise ValueError(f"min_chars must be a whole number >= 0, not {self.min_chars!r}")
        if self.title_pattern:
            try:
                re.compile(self.title_pattern)
            except re.error as e:
                raise ValueError(f"title_pattern is not a valid regular expression: {e}") from None
        for name in ("max_documents", "max_output_chars"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number >= 1 or None, not {value!r}")
        if not isinstance(self.sample_rate, (int, float)) or not 0.0 < self.sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be in (0, 1], not {self.sample_rate!r}")
        if self.footnotes not in ("remove", "inline"):
            raise ValueError(f"footnotes must be 'remove' or 'inline', not {self.footnotes!r}")
        return replace(self, namespaces=namespaces, title_pattern=self.title_pattern or None,
                       sample_rate=float(self.sample_rate), seed=int(self.seed))


# --- reading the dump ----------------------------------------------------------


def detect_format(path) -> str:
    """``"json"``, ``"jsonl"`` or ``"parquet"``: by extension, else by the first bytes."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl"
    raise DumpError(f"{path.name}: not a JSON array, JSON Lines or Parquet file", 0)


def _ijson_backend():
    """The fastest ijson backend installed: the C one parses several times faster."""
    import ijson

    for name in ("yajl2_c", "yajl2_cffi", "yajl2", "python"):
        try:
            return ijson.get_backend(name)
        except ImportError:
            continue
    return ijson  # pragma: no cover - ijson always ships the python backend


class _PositionReader:
    """A file wrapper for ijson that reports how far into the file it has read, and that refuses a
    record longer than :data:`MAX_RECORD_BYTES` before reading past it.

    yajl, under ijson's fast backend, scans a token that spans several reads again from its start
    on every read, so one long string cost time in the square of its length. While no event has come since the last read the parser is inside one token,
    and each read doubles, which keeps the parse linear; after an event reads are small again, so
    an error's offset stays precise to one read.

    yajl also holds a token that spans reads whole until it ends, so a string of a gigabyte used to
    sit in memory (twice, with the Python string made of it) before any size check saw it. The
    iterator marks where each record begins (``record_started``); a read never goes more than one
    byte past that record's allowance, and the read that would is refused instead."""

    def __init__(self, f, progress_bytes):
        self._f = f
        self._progress = progress_bytes
        self.position = f.tell()
        self.event_seen = True
        self._size = _READ_CHUNK
        self.record_start: int | None = None  # where the record being read began (None: outside any)
        self.record_number = 0  # its place in the array, from 1

    def record_started(self, number: int) -> None:
        self.record_start, self.record_number = self.position, number

    def read(self, size: int = -1) -> bytes:
        if size is not None and size > 0:  # ijson reads 0 bytes first, to see whether the file is binary
            self._size = size if self.event_seen else min(max(self._size, size) * 2, _LONG_TOKEN_READ)
            size, self.event_seen = self._size, False
            if self.record_start is not None:
                allowed = self.record_start + MAX_RECORD_BYTES + 1 - self.position
                if allowed <= 0:
                    raise DumpError(f"malformed dump near byte {self.record_start}: record {self.record_number} is "
                                    f"longer than {MAX_RECORD_BYTES:,} bytes, far beyond any Namuwiki article "
                                    "(refused without reading the rest of it)", self.record_start)
                size = min(size, allowed)
        data = self._f.read(size)
        self.position += len(data)
        if self._progress is not None:
            self._progress(self.position)
        return data


def _open_skipping_bom(path: Path):
    f = path.open("rb")
    if f.read(3) != b"\xef\xbb\xbf":
        f.seek(0)
    return f


MAX_JSON_DEPTH = 64  # a Namuwiki record nests 3 levels; ijson's own builder is quadratic in depth
MAX_DOCUMENT_CHARS = 8_000_000  # characters of text in one record (namu-mark, title, …): far above any real article, and
# low enough that converting the longest allowed one (four bytes a character in the worst case) fits the
# import's memory bound
# Bytes of one record as the file holds it (a JSON line, an element of the array, a Parquet page):
# a character takes up to four bytes of UTF-8, so every record within MAX_DOCUMENT_CHARS of
# unescaped text fits.  A longer one is refused while it is read, and never held whole.
MAX_RECORD_BYTES = 4 * MAX_DOCUMENT_CHARS


def _iter_json_array(path: Path, progress_bytes) -> Iterator[dict]:
    """The records of a JSON array, built from ijson's flat events with the nesting depth and each
    record's size checked as they stream: a 368-byte file of nested arrays used to take gigabytes."""
    backend = _ijson_backend()
    with _open_skipping_bom(path) as f:
        reader = _PositionReader(f, progress_bytes)
        index, size = 0, 0
        stack: list = []  # the record being built: its open containers, innermost last
        keys: list = []   # per open container: the pending key (maps) or None (arrays)
        depth = 0
        try:
            for event, value in backend.basic_parse(reader, use_float=True, buf_size=_READ_CHUNK):
                reader.event_seen = True
                if event in ("start_map", "start_array"):
                    depth += 1
                    if depth > MAX_JSON_DEPTH:
                        raise DumpError(f"malformed dump near byte {reader.position}: nested deeper than "
                                        f"{MAX_JSON_DEPTH} levels, which no Namuwiki record is", reader.position)
                    if depth == 1:
                        if event != "start_array":
                            raise DumpError("malformed dump: a JSON dump is an array of records", 0)
                        reader.record_started(index + 1)
                        continue
                    container = {} if event == "start_map" else []
                    if stack:
                        _add(stack, keys, container)
                    stack.append(container)
                    keys.append(None)
                    continue
                if event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        continue
                    done = stack.pop()
                    keys.pop()
                    if stack:
                        continue
                    if not isinstance(done, dict):
                        raise DumpError(f"malformed dump near byte {reader.position}: item {index} is not a JSON "
                                        "object", reader.position)
                    index, size = index + 1, 0
                    reader.record_started(index + 1)  # from here on, the bytes count towards the next record
                    yield done
                    continue
                if depth == 1:
                    raise DumpError(f"malformed dump near byte {reader.position}: item {index} is not a JSON object",
                                    reader.position)
                if isinstance(value, str):
                    size += len(value)
                    if size > MAX_DOCUMENT_CHARS:
                        raise _too_many_characters(reader.position, f"record {index + 1}")
                if event == "map_key":
                    keys[-1] = value
                else:
                    _add(stack, keys, value)
        except DumpError:
            raise
        except Exception as e:  # ijson.JSONError, and UnicodeDecodeError from bad UTF-8
            detail = " ".join(str(e).split())[:200]
            raise DumpError(f"malformed JSON near byte {reader.position}: {detail}", reader.position) from e


def _add(stack: list, keys: list, value) -> None:
    container = stack[-1]
    if isinstance(container, dict):
        container[keys[-1]] = value
    else:
        container.append(value)


def _too_many_characters(offset: int, record: str) -> DumpError:
    return DumpError(f"malformed dump near byte {offset}: {record} is larger than {MAX_DOCUMENT_CHARS:,} "
                     "characters, far beyond any Namuwiki article", offset)


def _characters(record) -> int:
    """The characters of every string in a parsed record, keys included (no recursion: a record may nest deep)."""
    total, pending = 0, [record]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(key) for key in item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return total


def _bounded_line(f, limit: int, number: int, position: int) -> bytes:
    """The next line of a binary file (``b""`` at its end); a line of more than ``limit`` bytes is a
    ``DumpError`` once ``limit`` bytes of it have been read, so no more than that is ever held."""
    line = f.readline(limit + 1)
    if len(line) > limit and not line.endswith(b"\n"):
        raise DumpError(f"malformed dump near byte {position}: line {number:,} is longer than {limit:,} bytes, "
                        "far beyond any Namuwiki record (refused without reading the rest of it)", position)
    return line


def _iter_json_lines(path: Path, progress_bytes) -> Iterator[dict]:
    with _open_skipping_bom(path) as f:
        number, position = 0, f.tell()
        while True:
            number, start = number + 1, position
            line = _bounded_line(f, MAX_RECORD_BYTES, number, start)
            if not line:
                return
            position += len(line)
            if progress_bytes is not None:
                progress_bytes(position)
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
                raise DumpError(f"malformed JSON near byte {start + getattr(e, 'pos', 0)}: {e}",
                                start + getattr(e, "pos", 0)) from e
            except RecursionError:
                raise DumpError(f"malformed dump near byte {start}: nested deeper than any Namuwiki record",
                                start) from None
            line = b""  # while the record is converted, only the record is held
            if not isinstance(item, dict):
                raise DumpError(f"malformed dump near byte {start}: line is not a JSON object", start)
            if _characters(item) > MAX_DOCUMENT_CHARS:
                raise _too_many_characters(start, f"line {number:,}")
            yield item
            item = None


class _ThriftReader:
    """Just enough of Thrift's compact protocol to walk a Parquet page header and skip what it does not need."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise EOFError
        self.at += 1
        return self.data[self.at - 1]

    def varint(self) -> int:
        value = shift = 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def struct(self, depth: int = 0) -> dict[int, int]:
        """The struct's integer fields by id (what a page header's sizes are); everything else skipped."""
        if depth > MAX_JSON_DEPTH:
            raise ValueError("nested too deep")
        fields, field_id = {}, 0
        while True:
            head = self.byte()
            kind = head & 0x0F
            if kind == 0:
                return fields
            field_id = field_id + (head >> 4) if head >> 4 else self.zigzag()
            if kind in (4, 5, 6):
                fields[field_id] = self.zigzag()
            else:
                self.skip(kind, depth)

    def skip(self, kind: int, depth: int) -> None:
        if kind in (1, 2):  # a boolean field carries its value in its type
            return
        if kind == 3:
            self.byte()
        elif kind in (4, 5, 6):
            self.varint()
        elif kind == 7:
            self.at += 8
        elif kind == 8:
            length = self.varint()  # read before ``at`` is: the length's own bytes move it
            self.at += length
        elif kind in (9, 10):
            head = self.byte()
            count = head >> 4 if head >> 4 != 15 else self.varint()
            for _ in range(count):
                self.skip(head & 0x0F if head & 0x0F not in (1, 2) else 3, depth + 1)
        elif kind == 11:
            count = self.varint()
            if count:
                types = self.byte()
                for _ in range(count):
                    self.skip(types >> 4, depth + 1)
                    self.skip(types & 0x0F, depth + 1)
        elif kind == 12:
            self.struct(depth + 1)
        else:
            raise ValueError(f"unknown Thrift type {kind}")
        if self.at > len(self.data):
            raise EOFError


_PAGE_HEADER_READ = 64 * 1024
_MAX_PAGE_HEADER = 1 << 20  # a header with statistics is a few hundred bytes; writers cap statistics at kilobytes


def _largest_page(f, column) -> tuple[int, int]:
    """``(unpacked bytes, offset)`` of the largest page of a column chunk, from the page headers alone.

    pyarrow streams a column chunk a page at a time, so memory follows its largest page; but one page
    holds at least one whole value, and a single string of a gigabyte (which compresses to a few
    megabytes) would be unpacked whole before any check saw it. The headers say each page's size
    before its data is read."""
    start = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
    end = start + column.total_compressed_size
    largest, largest_at, at = 0, start, start
    while at < end:
        size = _PAGE_HEADER_READ
        while True:
            f.seek(at)
            data = f.read(min(size, end - at))
            reader = _ThriftReader(data)
            try:
                header = reader.struct()
                break
            except EOFError:
                if size >= _MAX_PAGE_HEADER or len(data) < size:
                    raise DumpError(f"malformed Parquet near byte {at}: a page header runs past "
                                    f"{min(size, len(data)):,} bytes", at) from None
                size *= 4
            except ValueError as e:
                raise DumpError(f"malformed Parquet near byte {at}: unreadable page header ({e})", at) from None
        unpacked, packed = header.get(2, -1), header.get(3, -1)
        if unpacked < 0 or packed < 0:
            raise DumpError(f"malformed Parquet near byte {at}: a page header without its sizes", at)
        if unpacked > largest:
            largest, largest_at = unpacked, at
        at += reader.at + packed
    return largest, largest_at


def _check_pages(path: Path, metadata, group: int, columns: list[str]) -> None:
    """Refuse a row group with a page larger than :data:`MAX_RECORD_BYTES` before pyarrow reads it."""
    row_group = metadata.row_group(group)
    with path.open("rb") as f:
        for c in range(row_group.num_columns):
            column = row_group.column(c)
            if column.path_in_schema.split(".")[0] not in columns:
                continue
            if column.total_uncompressed_size <= MAX_RECORD_BYTES:
                continue  # no page of it can be larger
            largest, offset = _largest_page(f, column)
            if largest > MAX_RECORD_BYTES:
                raise DumpError(f"malformed dump near byte {offset}: row group {group} holds a page of {largest:,} "
                                f"bytes in its {column.path_in_schema!r} column, longer than any Namuwiki record "
                                f"({MAX_RECORD_BYTES:,} bytes; refused without reading it)", offset)


def _iter_parquet(path: Path, progress_bytes) -> Iterator[dict]:
    """Record batches, one row group at a time (memory follows the largest page, not the file)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as e:  # pyarrow's ArrowInvalid and friends
        raise DumpError(f"malformed Parquet: {e}", 0) from e
    with parquet:
        metadata = parquet.metadata
        names = set(parquet.schema_arrow.names)
        columns = [c for c in ("namespace", "title", "text", "contributors") if c in names]
        done = 4  # the leading "PAR1"
        index = 0
        for group in range(metadata.num_row_groups):
            _check_pages(path, metadata, group, columns)
            try:
                for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, row_groups=[group],
                                                  columns=columns):
                    for record in batch.to_pylist():
                        index += 1
                        if _characters(record) > MAX_DOCUMENT_CHARS:
                            raise _too_many_characters(done, f"row {index:,}")
                        yield record
            except DumpError:
                raise
            except Exception as e:
                raise DumpError(f"malformed Parquet near byte {done} (row group {group}): {e}", done) from e
            row_group = metadata.row_group(group)
            done += sum(row_group.column(c).total_compressed_size or 0 for c in range(row_group.num_columns))
            if progress_bytes is not None:
                progress_bytes(done)
    if progress_bytes is not None:
        progress_bytes(path.stat().st_size)


def iter_documents(path, fmt: str | None = None, progress_bytes: Callable[[int], None] | None = None
                   ) -> Iterator[dict]:
    """Yield the dump's records as dicts, streaming in constant memory.

    ``progress_bytes(n)`` is told how many bytes of the file have been read.
    Malformed input raises ``DumpError`` with the byte offset near the fault,
    after every record before it has been yielded.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "json":
        return _iter_json_array(path, progress_bytes)
    if fmt == "jsonl":
        return _iter_json_lines(path, progress_bytes)
    if fmt == "parquet":
        return _iter_parquet(path, progress_bytes)
    raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")


# --- import ------------------------------------------------------------------------


@dataclass
class ImportReport:
    documents_read: int = 0
    documents_kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> documents
    characters_written: int = 0  # characters in the text output, newlines included
    bytes_read: int = 0
    seconds: float = 0.0
    stopped: bool = False  # ended early: should_stop() or a limit
    repaired: int = 0  # kept documents whose broken markup was dropped (an unclosed "{{{", a stray "]]" …)
    repaired_titles: list[str] = field(default_factory=list)  # the first REPAIRED_TITLES of them
    # Documents the oracle found short: converted again section by section, and those still short after it.
    by_sections: int = 0
    by_sections_titles: list[str] = field(default_factory=list)
    incomplete: int = 0
    incomplete_titles: list[str] = field(default_factory=list)

    def summary(self) -> str:
        skipped = ", ".join(f"{reason} {n:,}" for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1]))
        rate = self.bytes_read / 1e6 / self.seconds if self.seconds > 0 else 0.0
        text = (f"kept {self.documents_kept:,} of {self.documents_read:,} documents, "
                f"{self.characters_written:,} characters written; read {self.bytes_read / 1e6:,.1f} MB "
                f"in {self.seconds:,.1f} s ({rate:,.1f} MB/s)")
        if skipped:
            text += f"; skipped: {skipped}"
        if self.repaired:
            text += (f"; repaired broken markup in {self.repaired:,} document{'s' if self.repaired > 1 else ''} "
                     f"({', '.join(self.repaired_titles)}{', …' if self.repaired > len(self.repaired_titles) else ''})")
        if self.by_sections:
            text += (f"; converted {self.by_sections:,} document{'s' if self.by_sections > 1 else ''} section by "
                     f"section ({_titles(self.by_sections_titles, self.by_sections)})")
        if self.incomplete:
            text += (f"; could not fully convert {self.incomplete:,} document{'s' if self.incomplete > 1 else ''}, "
                     f"text may be missing ({_titles(self.incomplete_titles, self.incomplete)})")
        if self.stopped:
            text += "; stopped early"
        return text


def _titles(titles: list[str], count: int) -> str:
    return ", ".join(titles) + (", …" if count > len(titles) else "")


def checked_conversion(markup: str, options: TextOptions) -> tuple[Conversion, str | None]:
    """``convert``, checked against the oracle: a page that keeps too few of the oracle's words is
    converted again section by section (the better of the two is kept).  Returns the conversion and
    what the oracle found: None (enough kept), "by sections" (enough once converted by sections) or
    "incomplete" (still short)."""
    converted = convert(markup, options)
    if keeps_enough(converted.text, text_weight(markup)):  # enough of the whole page: the oracle can only agree
        return converted, None
    expected = oracle_weight(markup, options)
    if keeps_enough(converted.text, expected):
        return converted, None
    again = convert_by_sections(markup, options)
    if text_weight(again.text) > text_weight(converted.text):
        converted = again
    return converted, ("by sections" if keeps_enough(converted.text, expected) else "incomplete")


def _convert_batch(markups: list[str], options: TextOptions) -> list[tuple[Conversion, str | None]]:
    """A batch of pages converted in a helper process (what crosses the pipe: the pages, their texts)."""
    return [checked_conversion(markup, options) for markup in markups]


def _note_oracle(report: ImportReport, title: str, verdict: str | None) -> None:
    if verdict == "by sections":
        report.by_sections += 1
        if len(report.by_sections_titles) < REPAIRED_TITLES:
            report.by_sections_titles.append(title)
    elif verdict == "incomplete":
        report.incomplete += 1
        if len(report.incomplete_titles) < REPAIRED_TITLES:
            report.incomplete_titles.append(title)


def _skip_reason(doc: dict, options: ImportOptions, namespaces: frozenset, title_re) -> str | None:
    """Why a document is left out before it is converted (None: it is converted)."""
    title = doc.get("title")
    title = "" if title is None else str(title)
    if str(doc.get("namespace", "")).strip() not in namespaces:
        return "namespace"
    if title_re is not None and not title_re.search(title):
        return "title"
    if is_redirect(doc.get("text")):
        return "redirect"
    if not _sampled_in(title, options):
        return "sampled out"
    return None


def conversion_workers(total_bytes: int) -> int:
    """Helper processes for an import's conversion: none for a small dump (starting them costs more
    than it saves), else one per core up to four (the reading and writing stay in the caller)."""
    if total_bytes < PARALLEL_FROM_BYTES:
        return 0
    return max(0, min(MAX_CONVERSION_WORKERS, (os.cpu_count() or 1)))


def _converted_in_order(docs: Iterator[dict], options: ImportOptions, namespaces: frozenset, title_re,
                        workers: int) -> Iterator[tuple[dict, str | None, tuple[Conversion, str | None] | None]]:
    """Each document with its skip reason and, when it is converted, its checked conversion, in dump order.

    With ``workers`` the conversions run in that many helper processes, a batch of documents at a time,
    a few batches ahead of the caller; a fault while reading ahead (a malformed dump) is raised only
    after every document read before it has been yielded, as the import keeps whole documents."""
    if not workers:
        for doc in docs:
            reason = _skip_reason(doc, options, namespaces, title_re)
            yield doc, reason, (checked_conversion(doc.get("text"), options) if reason is None else None)
        return
    import concurrent.futures
    import multiprocessing
    # fork: a helper is a copy of this process with the converter loaded; spawn would run the calling
    # program's main module again in every helper (a script or a job without a main guard)
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    pending: list[tuple[list, list, concurrent.futures.Future]] = []
    fault, finished = None, False
    try:
        while True:
            while fault is None and len(pending) < 2 * workers:
                batch = []
                try:
                    for doc in docs:
                        batch.append((doc, _skip_reason(doc, options, namespaces, title_re)))
                        if len(batch) >= CONVERSION_BATCH:
                            break
                except DumpError as problem:
                    fault = problem
                if not batch:
                    fault = fault or StopIteration()
                    break
                markups = [doc.get("text") for doc, reason in batch if reason is None]
                pending.append((batch, markups, pool.submit(_convert_batch, markups, options)))
                if len(batch) < CONVERSION_BATCH and fault is None:
                    fault = StopIteration()
            if not pending:
                break
            batch, _, future = pending.pop(0)
            conversions = iter(future.result())
            for doc, reason in batch:
                yield doc, reason, (next(conversions) if reason is None else None)
        finished = True
        if fault is not None and not isinstance(fault, StopIteration):
            raise fault
    finally:  # at the end the idle helpers are waited for; on a stop or a limit, not
        for _, _, future in pending:
            future.cancel()
        pool.shutdown(wait=finished, cancel_futures=True)


def _sampled_in(title: str, options: ImportOptions) -> bool:
    """Sampling by a hash of seed and title keeps the same documents whatever the format or order."""
    if options.sample_rate >= 1.0:
        return True
    digest = hashlib.blake2b(f"{options.seed}\0{title}".encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < options.sample_rate


def jamo_output(dst_text: Path) -> Path:
    """Where ``import_dump`` writes the jamo form of ``dst_text`` when asked to (``out.txt`` →
    ``out.jamo.txt``)."""
    return Path(dst_text).with_suffix(".jamo.txt")


def import_dump(src, dst_text: Path, options: ImportOptions = ImportOptions(), *, progress=None,
                should_stop=None) -> ImportReport:
    """Stream ``src`` into ``dst_text``: one paragraph per line, a blank line between documents.

    Output goes to a temporary file that replaces ``dst_text`` at the end --
    also when the dump turns out to be malformed part-way, so the documents
    read before the fault are kept (always whole ones); any other failure
    (a full disk) leaves ``dst_text`` as it was.  ``progress(bytes_read,
    total_bytes, documents_read, documents_kept)`` is called at most ~10 times
    a second.  A limit ends the import when the next document arrives, which
    is counted as skipped for "limit" so read = kept + skipped.
    """
    options = options.validated()
    src, dst_text = Path(src), Path(dst_text)
    fmt = detect_format(src)
    total = src.stat().st_size
    report = ImportReport()
    position = [0]

    def progress_bytes(n: int) -> None:
        position[0] = n

    title_re = re.compile(options.title_pattern) if options.title_pattern else None
    namespaces = frozenset(options.namespaces)
    skipped = report.skipped
    if options.jamo:
        from namuweb.text.hangul import decompose
    targets = [dst_text] + ([jamo_output(dst_text)] if options.jamo else [])
    started = last_progress = time.monotonic()
    fault = None
    with contextlib.ExitStack() as stack:  # each output replaces its target, synced to disk, as the block ends
        outs = [stack.enter_context(storage.atomic_file(t, encoding="utf-8", newline="\n", durable=True))
                for t in targets]
        try:
            documents = stack.enter_context(contextlib.closing(_converted_in_order(
                iter_documents(src, fmt, progress_bytes), options, namespaces, title_re, conversion_workers(total))))
            for doc, reason, checked in documents:
                report.documents_read += 1
                if (options.max_documents is not None and report.documents_kept >= options.max_documents) or (
                        options.max_output_chars is not None and report.characters_written >= options.max_output_chars):
                    skipped["limit"] = skipped.get("limit", 0) + 1
                    report.stopped = True
                    break
                title = doc.get("title")
                title = "" if title is None else str(title)
                if checked is not None:
                    converted, verdict = checked
                    _note_oracle(report, title, verdict)
                    text = converted.text
                    if len(text) < options.min_chars:
                        reason = "too short"
                if reason is not None:
                    skipped[reason] = skipped.get(reason, 0) + 1
                else:
                    body = "\n".join(line for line in text.split("\n") if line) + "\n"
                    if report.documents_kept:
                        body = "\n" + body
                    outs[0].write(body)
                    if options.jamo:
                        outs[1].write(decompose(body, marker="replace"))
                    report.documents_kept += 1
                    report.characters_written += len(body)
                    if converted.repairs:
                        report.repaired += 1
                        if len(report.repaired_titles) < REPAIRED_TITLES:
                            report.repaired_titles.append(title)
                now = time.monotonic()
                if progress is not None and now - last_progress >= _PROGRESS_S:
                    last_progress = now
                    progress(position[0], total, report.documents_read, report.documents_kept)
                if should_stop is not None and should_stop():
                    report.stopped = True
                    break
        except DumpError as e:  # whole documents only: each was written in one piece, and they are kept
            fault = e
    report.seconds = time.monotonic() - started
    report.bytes_read = position[0]
    if fault is not None:
        fault.report = report
        raise fault
    if not report.stopped:
        report.bytes_read = total
    if progress is not None:
        progress(report.bytes_read, total, report.documents_read, report.documents_kept)
    return report
