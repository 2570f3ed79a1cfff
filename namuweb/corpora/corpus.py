"""The corpus library: every text the app can explore, kept on disk.

Corpora live as ``corpora/<id>/text.txt`` + ``corpora/<id>/meta.json`` (and, for
an import that asked for it, ``text.jamo.txt``) under the data directory so they
survive app restarts and are shared by all browser sessions, and so the large
text is streamed from a file instead of living in Streamlit's session state.
Only this module knows those file names: everyone else asks a ``Corpus`` for its
files.  Ids are ``storage.new_name`` folder names (time stamp, source, random).

Uploads arrive in whatever encoding the user's editor produced (Korean text on
Windows is often CP949 or UTF-16), so ``add_text_file`` normalises everything to
UTF-8 with ``\\n`` newlines once, at the door, and says what it converted.
File names from the browser are untrusted: they are display metadata only and
never become part of a path.  Files are written through ``namuweb.storage``
(whole, or not at all) so a crash or a second session never sees a
half-written corpus.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from namuweb import config, storage

BUILTIN_ID = "builtin"
BUILTIN_NAME = "대한민국 헌법 + 국회 의안 (konlpy built-in)"
TEXT_FILE = "text.txt"
META_FILE = "meta.json"
JAMO_FILE = "text.jamo.txt"  # the text as jamo, which an import writes when asked to
MAX_NAME_CHARS = 100

# Control characters that do not occur in ordinary text (\t \n \f \r are allowed).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.01
_NEWLINES = re.compile("\r\n?")


class CorpusError(ValueError):
    """A problem the user can fix; the message is one user-facing line."""


class CorpusNotFound(CorpusError):
    pass


class UploadTooLarge(CorpusError):
    pass


class UndecodableUpload(CorpusError):
    pass


class EmptyUpload(CorpusError):
    pass


class StorageError(CorpusError, OSError):
    """The data directory refused a write (full, read-only, no permission); nothing was stored.

    Both a ``CorpusError`` (pages and the CLI show its message) and an ``OSError`` (it is one)."""


UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}  # the data directory's fault


def storage_message(error: OSError, what: str, home: Path | None = None) -> str:
    """One line for a failed write: what could not be stored, where, and why in plain words."""
    try:
        where = str(home if home is not None else config.data_home())
    except OSError:
        where = os.environ.get(config.HOME_ENV, "the data directory")
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full (no space left on device)"
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "the data directory is read-only (or not writable for this user)"
    else:
        why = error.strerror or str(error)
    return (f"Could not store {what} in {where}: {why}. Nothing was stored; free some space or fix the "
            "permissions and try again.")


@contextlib.contextmanager
def storing(what: str, home: Path | None = None):
    """Turn an ``OSError`` from writing into a ``StorageError`` with a message for people."""
    try:
        yield
    except CorpusError:
        raise
    except OSError as error:
        raise StorageError(storage_message(error, what, home)) from error


@dataclass(frozen=True)
class Corpus:
    id: str
    name: str
    source: str  # "builtin", "upload" or "tagged"
    created: str  # ISO 8601, UTC
    chars: int
    bytes: int  # UTF-8 size of text.txt
    path: Path  # to text.txt
    original_name: str | None
    encoding: str  # encoding the source was decoded from
    notice: str | None  # what decoding changed, for the user
    parent: str | None = None  # the corpus this one was derived from (a tagged corpus's source)
    licence: str | None = None  # of a downloaded text: its licence, attribution and where it came from
    attribution: str | None = None
    source_url: str | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    meta_file = property(lambda self: self.folder / META_FILE)
    jamo_file = property(lambda self: self.folder / JAMO_FILE)

    def origin_lines(self) -> list[str]:
        """Where a downloaded text came from and on what terms: shown beside it and shipped with its copies."""
        return [f"{label}: {value}" for label, value in (("Source", self.source_url), ("Licence", self.licence),
                                                         ("Attribution", self.attribution)) if value]

    def read_text(self) -> str:
        with self.path.open(encoding="utf-8", newline="") as f:
            return f.read()

    def iter_chunks(self, chunk_chars: int = 1 << 20) -> Iterator[str]:
        """Stream the text in pieces of at most ``chunk_chars`` characters."""
        if chunk_chars <= 0:
            raise ValueError("chunk_chars must be positive")
        with self.path.open(encoding="utf-8", newline="") as f:
            while chunk := f.read(chunk_chars):
                yield chunk


# --- storage helpers -------------------------------------------------------


def _corpora_dir(home: Path | None) -> Path:
    directory = (home if home is not None else config.data_home()) / "corpora"
    return storage.make_private_dirs(directory)


_write_atomic = storage.atomic_write  # one name here, so a test can make this module's writes fail alone


def _write_meta(corpus: Corpus) -> None:
    """Written last: a folder without meta.json is not a corpus."""
    meta = {k: v for k, v in asdict(corpus).items() if k != "path"}
    # ASCII-escaped JSON round-trips any name, even one with lone surrogates.
    _write_atomic(corpus.meta_file, json.dumps(meta, indent=2))


def _write_corpus(folder: Path, text: str, corpus: Corpus) -> None:
    _write_atomic(folder / TEXT_FILE, text)
    _write_meta(corpus)


def _load_corpus(folder: Path) -> Corpus | None:
    """The corpus stored in ``folder``, or None if it is incomplete, corrupt or not the data directory's
    own: a symbolic link (to ``/etc/passwd``, say) is never followed into a preview or a job."""
    if any(path.is_symlink() for path in (folder, folder / META_FILE, folder / TEXT_FILE)):
        return None
    try:
        meta = storage.read_json(folder / META_FILE)
        stored = {f.name for f in fields(Corpus)} - {"path"}
        optional = {f.name for f in fields(Corpus) if f.default is None}
        if not isinstance(meta, dict) or not stored - optional <= set(meta) <= stored or meta["id"] != folder.name:
            return None
        corpus = Corpus(**meta, path=folder / TEXT_FILE)
    except (OSError, ValueError, TypeError):
        return None
    return corpus if corpus.path.is_file() else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_corpus(text: str, **kwargs) -> Corpus:
    return Corpus(
        created=_now().isoformat(timespec="microseconds"),
        chars=len(text),
        bytes=len(text.encode("utf-8")),
        **kwargs,
    )


# --- the built-in corpus ---------------------------------------------------


def _builtin_text() -> str:
    from konlpy.corpus import kobill, kolaw

    parts = [kolaw.open("constitution.txt").read()]
    parts += [kobill.open(fileid).read() for fileid in sorted(kobill.fileids())]
    return "\n".join(parts)


def ensure_builtin(home: Path | None = None) -> Corpus:
    """The konlpy-shipped corpus, written to disk on first use only."""
    folder = _corpora_dir(home) / BUILTIN_ID
    existing = _load_corpus(folder)
    if existing is not None:
        return existing
    text = _builtin_text()
    corpus = _new_corpus(
        text,
        id=BUILTIN_ID,
        name=BUILTIN_NAME,
        source="builtin",
        path=folder / TEXT_FILE,
        original_name=None,
        encoding="utf-8",
        notice=None,
    )
    with storing("the built-in corpus", home):
        folder.mkdir(mode=config.PRIVATE_DIR, exist_ok=True)
        _write_corpus(folder, text, corpus)
    return corpus


def add_file(path: Path, name: str, *, source: str, parent: str | None = None, notice: str | None = None,
             home: Path | None = None, jamo: Path | None = None, **origin) -> Corpus:
    """Move a UTF-8 text file written by a job (a tagged corpus, an import, a download) into the library;
    ``jamo``: the same text as jamo (an import's), moved in beside it; ``origin``: a download's
    ``licence``, ``attribution`` and ``source_url``.

    The file is counted by streaming and moved, never read whole, so a large
    derived corpus costs no memory; it must be on the same filesystem."""
    with storing(repr(display_name(name)), home):
        return _move_file(path, name, source=source, parent=parent, notice=notice, home=home, jamo=jamo,
                          **origin)


def _new_folder(home: Path | None, source: str) -> Path:
    """A new corpus's empty folder; its name is the corpus's id."""
    return storage.new_folder(_corpora_dir(home), source)


def _move_file(path: Path, name: str, *, source: str, parent: str | None, notice: str | None,
               home: Path | None, jamo: Path | None, **origin) -> Corpus:
    chars = 0
    with open(path, encoding="utf-8", newline="") as f:
        while chunk := f.read(1 << 20):
            chars += len(chunk)
    folder = _new_folder(home, source)
    moved: list[tuple[Path, Path]] = []
    try:
        corpus = Corpus(id=folder.name, name=display_name(name), source=source,
                        created=_now().isoformat(timespec="microseconds"), chars=chars,
                        bytes=Path(path).stat().st_size, path=folder / TEXT_FILE, original_name=None,
                        encoding="utf-8", notice=notice, parent=parent, **origin)
        for made, target in ((Path(path), corpus.path), (jamo, corpus.jamo_file)):
            if made is not None:
                moved.append((made, target))
                storage.move_into_place(made, target)
        _write_meta(corpus)
    except BaseException:
        for made, target in moved:
            if target.exists() and not made.exists():
                storage.move_into_place(target, made)  # the job's output stays where it was, for a retry
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return corpus


# --- listing and lookup ----------------------------------------------------


def list_corpora(home: Path | None = None) -> list[Corpus]:
    """Built-in first, then uploads newest first; broken folders are skipped."""
    builtin = ensure_builtin(home)
    uploads = [
        corpus
        for folder in _corpora_dir(home).iterdir()
        if folder.is_dir() and folder.name != BUILTIN_ID
        and (corpus := _load_corpus(folder)) is not None
    ]
    uploads.sort(key=lambda c: (c.created, c.id), reverse=True)
    return [builtin, *uploads]


def get_corpus(ref: str, home: Path | None = None) -> Corpus:
    """Look a corpus up by id, else by exact display name (newest wins)."""
    corpora = list_corpora(home)
    for corpus in corpora:
        if corpus.id == ref:
            return corpus
    for corpus in corpora:
        if corpus.name == ref:
            return corpus
    # Other corpora are not named: the message reaches visitors who did not upload them.
    shown = ref if len(ref) <= 60 else ref[:60] + "…"  # a pasted novel must not become the message
    raise CorpusNotFound(f"No corpus named {shown!r} (it may have been deleted); "
                         "`python -m namuweb corpora` lists them")


def delete_corpus(id: str, home: Path | None = None) -> None:
    """Remove an uploaded corpus; the built-in one cannot be deleted."""
    config.refuse_in_demo("deleting corpora", CorpusError)
    if id == BUILTIN_ID:
        raise CorpusError("The built-in corpus cannot be deleted.")
    corpora = _corpora_dir(home)
    # Match against existing folder names so ``id`` is never trusted as a path.
    folders = {folder.name: folder for folder in corpora.iterdir() if folder.is_dir()}
    if id not in folders:
        raise CorpusNotFound(f"No uploaded corpus with id {id!r}.")
    if folders[id].is_symlink():
        raise CorpusError(f"{id!r} is a symbolic link, not a folder of the library: it is left alone.")
    shutil.rmtree(folders[id])


_SAMPLE = 1 << 16


def _detect(sample: bytes, whole: bool) -> tuple[str, str | None] | None:
    """Encoding and notice from the start of a file; a cut sample is tried at a few
    boundaries so a character split at its end does not spoil the guess."""
    cuts = [len(sample)] if whole else [len(sample) - i for i in range(4)]
    newline = sample.rfind(b"\n")
    if not whole and newline > 0:
        cuts.insert(0, newline + (2 if sample[newline + 1:newline + 2] == b"\x00" else 1))
    for cut in cuts:
        decoded = _decode(sample[:cut])
        if decoded is not None:
            return (None if _looks_binary(decoded[0]) else (decoded[1], decoded[2]))
    return None


def private_source(path: Path) -> str | None:
    """Why the file at ``path`` is private to its owner (and group), or None when it is not.

    The rule: a file that others may not read (no ``o+r`` bit) is private.  Its owner has kept it
    to themselves or their group, and this process may read it only by being that owner, in that
    group, or root -- ``/etc/shadow`` (0640, root and group shadow) is the example -- whereas the
    library shows every corpus, with a Download button, to everyone who opens the app.  So adding
    such a file is refused unless asked for (``corpora add --allow-private``).  Only the file's own
    bits count, not the folders above it: a home folder closed to others (0750 on Ubuntu) holds
    files its owner means to share."""
    mode = Path(path).stat().st_mode
    if mode & stat.S_IROTH:
        return None
    info = Path(path).stat()
    try:
        import pwd
        owner = pwd.getpwuid(info.st_uid).pw_name
    except (ImportError, KeyError):
        owner = str(info.st_uid)
    try:
        import grp
        group = grp.getgrgid(info.st_gid).gr_name
    except (ImportError, KeyError):
        group = str(info.st_gid)
    who = f"its owner ({owner})" + (f" and group ({group})" if mode & stat.S_IRGRP else "")
    return f"{path} is private to {who}: mode {stat.S_IMODE(mode):04o}, not readable by others"


def add_text_file(path: Path, original_name: str, home: Path | None = None,
                  max_bytes: int | None = None, source: str = "upload") -> Corpus:
    """Store a text file of any size as a corpus, decoding it chunk by chunk.

    The encoding is guessed from the first 64 KiB (``text_encoding``); the
    whole file then streams through an incremental decoder, so a large upload
    never sits in memory whole.  A failed write
    (disk full, read-only data directory) is a ``StorageError`` and leaves
    no folder behind.  ``source`` is "tagged" for a file of word/Tag lines."""
    path = Path(path)
    shown = display_name(original_name)
    limit = config.max_upload_bytes() if max_bytes is None else max_bytes
    size = path.stat().st_size
    config.check_demo_upload(size, repr(shown), UploadTooLarge)
    if size > limit:
        raise UploadTooLarge(too_large(repr(shown), limit))
    encoding, notice = text_encoding(path, shown)
    with storing(repr(shown), home):
        return _store_decoded(path, shown, original_name, encoding, notice, home, source)


def text_encoding(path: Path, shown: str) -> tuple[str, str | None]:
    """``(encoding, notice)`` of a text file, judged as an upload is: UTF-8, UTF-16 or CP949, the
    notice saying what converting it to UTF-8 changes (None when nothing does); else a ``CorpusError``."""
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        sample = f.read(_SAMPLE)
    if not sample:
        raise EmptyUpload(f"{shown!r} is empty.")
    if not sample.strip() and size <= _SAMPLE:  # a longer file may have text after its first 64 KiB
        raise EmptyUpload(f"{shown!r} contains only whitespace.")
    detected = _detect(sample, whole=size <= _SAMPLE)
    if detected is None:
        raise UndecodableUpload(f"{shown!r} does not look like text (binary data); "
                                "upload a UTF-8, UTF-16 or CP949 .txt file.")
    return detected


def write_decoded(path: Path, out_path: Path, encoding: str, shown: str) -> int:
    """Stream ``path`` from ``encoding`` into ``out_path`` as UTF-8 with "\\n" newlines; returns the
    characters written.  Binary data part-way, invalid bytes or only whitespace: a ``CorpusError``, and
    ``out_path`` is not written."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    chars, visible, carry = 0, False, ""
    try:
        with open(path, "rb") as source, storage.atomic_file(out_path, encoding="utf-8", newline="") as out:
            while True:
                block = source.read(1 << 20)
                text = carry + decoder.decode(block, final=not block)
                carry = "\r" if text.endswith("\r") and block else ""
                text = _NEWLINES.sub("\n", text[:-1] if carry else text)
                if _looks_binary(text):
                    raise UndecodableUpload(f"{shown!r} turns into binary data part-way through.")
                visible = visible or bool(text.strip())
                chars += len(text)
                out.write(text)
                if not block:
                    break
            if not visible:
                raise EmptyUpload(f"{shown!r} contains only whitespace.")
    except UnicodeDecodeError as error:
        raise UndecodableUpload(f"{shown!r} is not valid {encoding} after byte {error.start:,} of a chunk; "
                                "upload a UTF-8, UTF-16 or CP949 .txt file.") from None
    return chars


def _store_decoded(path: Path, shown: str, original_name: str, encoding: str, notice: str | None,
                   home: Path | None, source: str = "upload") -> Corpus:
    folder = _new_folder(home, source)
    try:
        chars = write_decoded(path, folder / TEXT_FILE, encoding, shown)
        corpus = Corpus(id=folder.name, name=shown, source=source, created=_now().isoformat(timespec="microseconds"),
                        chars=chars, bytes=(folder / TEXT_FILE).stat().st_size, path=folder / TEXT_FILE,
                        original_name=original_name, encoding=encoding, notice=notice)
        _write_meta(corpus)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return corpus


def checked_name(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """A name a visitor typed, as it will be shown; an empty one, one with control characters or one over
    ``limit`` characters is refused with a message rather than silently changed."""
    if not name.strip():
        raise CorpusError("A corpus name cannot be empty.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name):
        raise CorpusError("A corpus name cannot contain control characters (such as NUL or a line break).")
    if len(name.strip()) > limit:
        raise CorpusError(f"A corpus name can be at most {limit} characters; this one has {len(name.strip()):,}.")
    return display_name(name)


def rename_corpus(id: str, name: str, home: Path | None = None) -> Corpus:
    """Give a corpus a new display name (the id, and so every reference to it, stays).

    A name is display text only and never becomes a path, so ``/`` and ``..`` are
    harmless; control characters and names over ``MAX_NAME_CHARS`` are refused
    with a message rather than silently changed."""
    config.refuse_in_demo("renaming corpora", CorpusError)
    found = get_corpus(id, home)
    if found.id != id:
        raise CorpusNotFound(f"No corpus with id {id!r}.")
    renamed = Corpus(**{**{f.name: getattr(found, f.name) for f in fields(Corpus)},
                        "name": checked_name(name, MAX_NAME_CHARS)})
    with storing(f"the new name of {found.name!r}", home):
        _write_meta(renamed)
    return renamed


def export(found: Corpus) -> tuple[bytes, str]:
    """What a visitor downloads of a corpus: its text, or, for a text with a licence, a zip of the text and
    a SOURCE.txt naming where it came from and on what terms (so the terms travel with every copy)."""
    if not found.origin_lines():
        return found.path.read_bytes(), f"{found.id}.txt"
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(found.path, f"{found.id}.txt")
        archive.writestr("SOURCE.txt", "\n".join([found.name, *found.origin_lines()]) + "\n")
    return buffer.getvalue(), f"{found.id}.zip"


def set_origin(id: str, home: Path | None = None, **origin) -> Corpus:
    """Record where a corpus came from (``licence``, ``attribution``, ``source_url``)."""
    found = get_corpus(id, home)
    updated = Corpus(**{**{f.name: getattr(found, f.name) for f in fields(Corpus)}, **origin})
    with storing(f"where {found.name!r} came from", home):
        _write_meta(updated)
    return updated


# --- decoding uploads ------------------------------------------------------


def _looks_binary(text: str) -> bool:
    return len(_CONTROL_CHARS.findall(text)) > len(text) * _MAX_CONTROL_RATIO


def _guess_bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' if NULs fill one byte column (Latin text in UTF-16)."""
    if len(data) < 4 or len(data) % 2:
        return None
    half = len(data) // 2
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    if odd_nuls >= 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls >= 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> tuple[str, str, str | None] | None:
    """Raw decode by BOM, UTF-16 heuristic, UTF-8, then CP949; None if nothing fits."""
    boms = [
        (b"\xef\xbb\xbf", "utf-8-sig", "Removed the UTF-8 byte-order mark (BOM)."),
        (b"\xff\xfe", "utf-16", "Converted from UTF-16 (little-endian, with BOM) to UTF-8."),
        (b"\xfe\xff", "utf-16", "Converted from UTF-16 (big-endian, with BOM) to UTF-8."),
    ]
    for bom, encoding, notice in boms:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding, notice
            except UnicodeDecodeError:
                return None
    utf16 = _guess_bomless_utf16(data)
    if utf16 is not None:
        try:
            endian = "little" if utf16.endswith("le") else "big"
            notice = f"Converted from UTF-16 ({endian}-endian, no BOM) to UTF-8."
            return data.decode(utf16), utf16, notice
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), "cp949", "Converted from CP949 (EUC-KR) to UTF-8."
    except UnicodeDecodeError:
        return None


# --- adding uploads --------------------------------------------------------


def display_name(original_name: str) -> str:
    """A harmless display name: no control characters, at most 100 characters."""
    cleaned = "".join(ch for ch in original_name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    cleaned = " ".join(cleaned.split())[:MAX_NAME_CHARS].strip()
    return cleaned or "upload"


def too_large(what: str, limit: int) -> str:
    """The one message for a file over the size limit, wherever that is found out (an upload while it is
    copied, what an archive unpacks to, a file added on the command line): ``'a.txt' is larger than the
    limit of 1 MB``.  It names no size: a copy stops at the limit, before the size is known."""
    return f"{what} is larger than the limit of {_megabytes(limit)}"


def _megabytes(size: int) -> str:
    """``1 MB``, ``1.5 MB``, ``0.05 MB``: whole megabytes as they are, a tenth of one from 1 MB up,
    two significant digits below."""
    megabytes = size / config.MB
    if not size % config.MB:
        return f"{size // config.MB:,} MB"
    return f"{megabytes:,.1f} MB" if megabytes >= 1 else f"{megabytes:.2g} MB"
