"""Getting files into the corpus library: uploads of any supported shape, and
Namuwiki dump imports as jobs under ``<data>/jobs/import/<id>/``.

An upload is copied to disk in chunks and unpacked (``.gz``, ``.zip``) by
streaming, with a cap on the unpacked size so a zip bomb stops at the cap
instead of filling the disk.  Plain text goes straight into the library;
dumps (``.json``, ``.jsonl``, ``.parquet``) become import jobs, because a
real dump takes minutes.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import secrets
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from namuweb import config as app_config
from namuweb.corpora import corpus
from namuweb import jobs, storage

OUTPUT = "output.txt"
TEXT_TYPES = (".txt",)
DUMP_TYPES = (".json", ".jsonl", ".parquet")
UPLOAD_TYPES = ["txt", "json", "jsonl", "parquet", "gz", "zip"]
EXPANSION_LIMIT = 20  # unpacked size may be at most this many times the upload limit
CHUNK = 1 << 20


class UploadError(corpus.CorpusError):
    """An upload or import problem, one line for the user."""


FOLDERS = jobs.JobFolders("jobs/import", "job.json")


def _copy_capped(source: BinaryIO, target: Path, limit: int, what: str) -> int:
    written = 0
    with open(target, "wb", opener=storage.private_opener) as out:
        while block := source.read(CHUNK):
            written += len(block)
            if written > limit:
                raise UploadError(corpus.too_large(what, limit))
            out.write(block)
    return written


def _is_dump(name: str) -> bool:
    return Path(name).suffix.lower() in DUMP_TYPES


def _unpack(path: Path, name: str, limit: int) -> tuple[Path, str]:
    """Unpack ``.gz`` / ``.zip`` (streaming, capped); returns the inner file and its name.

    Text may unpack to the upload limit, a dump to ``EXPANSION_LIMIT`` times it (outside a demo):
    unpacking stops at the cap of what the archive holds, so a bomb never writes more than that."""
    lower = name.lower()

    def cap(inner_name: str) -> int:
        return limit * EXPANSION_LIMIT if _is_dump(inner_name) and not app_config.demo_settings() else limit

    try:
        if lower.endswith(".gz"):
            inner_name = name[:-3]
            inner = path.with_name("unpacked-" + secrets.token_hex(4))
            with gzip.open(path, "rb") as source:
                _copy_capped(source, inner, cap(inner_name), f"“{name}” unpacked")
            path.unlink()
            return inner, inner_name
        if lower.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist()
                           if not m.is_dir() and m.filename.lower().endswith(TEXT_TYPES + DUMP_TYPES)]
                if not members:
                    raise UploadError(f"“{name}” holds no .txt, .json, .jsonl or .parquet file")
                member = members[0]
                inner = path.with_name("unpacked-" + secrets.token_hex(4))
                with archive.open(member) as source:
                    _copy_capped(source, inner, cap(member.filename), f"“{member.filename}” unpacked")
            path.unlink()
            return inner, Path(member.filename).name
    except UploadError:
        raise
    except (EOFError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, NotImplementedError, RuntimeError,
            ValueError) as error:
        # EOFError: a truncated gzip; zlib.error: corrupt deflate data; RuntimeError: an encrypted zip
        # member; NotImplementedError: a compression method zipfile lacks.
        raise UploadError(f"“{name}” is not a readable {'gzip' if lower.endswith('.gz') else 'zip'} file "
                           f"(truncated or damaged): {error}") from None
    except OSError as error:
        if error.errno is None:  # gzip's own complaints (bad magic, CRC) are OSErrors without an errno
            raise UploadError(f"“{name}” is not a readable {'gzip' if lower.endswith('.gz') else 'zip'} file "
                              f"(truncated or damaged): {error}") from None
        raise
    return path, name


@dataclasses.dataclass
class Received:
    kind: str                       # "corpus" (stored) or "dump" (an import job was created)
    corpus: corpus.Corpus | None = None
    job_dir: Path | None = None


def receive(stream: BinaryIO, name: str, options=None, home: Path | None = None) -> Received:
    """Store an upload: text becomes a corpus, a dump becomes an import job (not yet started)."""
    app_config.check_demo_upload(None, f"“{name}”", UploadError)  # uploads off in this demo?
    limit = app_config.max_upload_bytes()
    with corpus.storing(f"“{corpus.display_name(name)}”", home):
        return _receive(stream, name, options, home, limit)


def _receive(stream: BinaryIO, name: str, options, home: Path | None, limit: int) -> Received:
    staging = FOLDERS.root_dir(home).parent / "incoming" / secrets.token_hex(6)
    storage.make_private_dirs(staging.parent)
    staging.mkdir(mode=app_config.PRIVATE_DIR)
    try:
        raw = staging / "upload"
        if _copy_capped(stream, raw, limit, f"“{name}”") == 0:
            raise corpus.EmptyUpload(f"“{name}” is empty")
        return store_file(raw, name, options, home=home, limit=limit)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def store_file(path: Path, name: str, options=None, *, home: Path | None = None, limit: int,
               source: str = "upload", **origin) -> Received:
    """A file on disk (an upload's copy, a download) as the library takes it: unpacked (``.gz``, ``.zip``,
    capped), then text becomes a corpus and a dump an import job (not yet started).  ``path`` is used up;
    ``origin`` (licence, attribution, source URL) goes with a text corpus."""
    # A demo limits what an upload becomes, not only what it weighs: a 92 KB .json.gz was an 18 MB corpus.
    path, inner_name = _unpack(path, name, limit)
    suffix = Path(inner_name).suffix.lower()
    if suffix in TEXT_TYPES or suffix not in DUMP_TYPES and not name.lower().endswith(DUMP_TYPES):
        if path.stat().st_size > limit:
            raise UploadError(corpus.too_large(f"“{inner_name}”", limit))
        stored = corpus.add_text_file(path, inner_name, home, max_bytes=limit, source=source)
        if origin:
            stored = corpus.set_origin(stored.id, home=home, **origin)
        return Received("corpus", corpus=stored)
    return Received("dump", job_dir=create_job(path, inner_name, options, home=home, move=True))


def create_job(dump: Path, name: str, options=None, *, home: Path | None = None, move: bool = False) -> Path:
    from namuweb.corpora import namuwiki
    options = (options or namuwiki.ImportOptions()).validated()
    stamp = storage.utc_stamp()
    job_dir = FOLDERS.new(home=home, stamp=stamp)
    try:
        target = job_dir / ("dump" + Path(name).suffix.lower())
        (shutil.move if move else shutil.copyfile)(str(dump), str(target))
        os.chmod(target, app_config.PRIVATE_FILE)  # a copy or a move has the mode of the file it came from
        FOLDERS.write(job_dir, {"name": corpus.display_name(name), "dump": target.name,
                             "options": dataclasses.asdict(options), "created": stamp})
    except BaseException:
        shutil.rmtree(job_dir, ignore_errors=True)  # a job without its job.json would only confuse the list
        raise
    return job_dir


def run(job_dir: Path, job: jobs.JobContext) -> str:
    """Import the job's dump; the finished text moves into the library as a corpus (the status's result:
    ``corpus`` and the import's ``report``).

    Refused at its first start, the job folder goes, the uploaded dump with it.  Failed (a dump
    malformed part-way, nothing passing the filters), it removes the dump, which cannot be imported,
    and the text written so far, which never joins the library; ``job.json``, the status (with the
    error and the report) and the log stay as the record of why."""
    report, imported = import_into_library(job_dir, job, record=job.record)
    return report.summary() + (f"\ncorpus {imported.id}" if imported else "")


def import_into_library(job_dir: Path, job: jobs.JobContext, record=lambda **result: None):
    """Import the dump in ``job_dir`` under ``job``'s progress and stop (an import job's, or a download's
    that fetched a dump): the import's report and the corpus it made (None while stopped) go to ``record``
    and are returned; nothing passing the filters is a :class:`~namuweb.jobs.JobError`."""
    from namuweb.corpora import namuwiki
    job_dir = Path(job_dir)
    settings = FOLDERS.read(job_dir)
    options = namuwiki.ImportOptions(**{k: tuple(v) if isinstance(v, list) else v
                                        for k, v in settings["options"].items()})
    output = job_dir / OUTPUT

    def progress(done: int, total: int, read: int, kept: int) -> None:
        job.report(done / app_config.MB, total / app_config.MB, "MB",
                   f"{read:,} documents read, {kept:,} kept", read=read, kept=kept)

    try:
        report = namuwiki.import_dump(job_dir / settings["dump"], output, options, progress=progress,
                                      should_stop=lambda: job.stop_requested)
    except namuwiki.DumpError as error:
        raise jobs.JobError(str(error)) from None
    imported = None
    if not report.stopped and report.documents_kept:
        jamo = namuwiki.jamo_output(output)
        imported = corpus.add_file(output, f"Namuwiki · {settings['name']}", source="namuwiki",
                                   notice=report.summary(), jamo=jamo if jamo.exists() else None)
    record(report=dataclasses.asdict(report), **({"corpus": imported.id} if imported else {}))
    if not report.stopped and imported is None:
        raise jobs.JobError("no document passed the filters: " + report.summary())
    return report, imported


def describe(job_dir: Path, result: dict) -> jobs.Described | None:
    """The corpus a finished import made, or that it has been deleted since."""
    if not result.get("corpus"):
        return None
    name = FOLDERS.read(job_dir)["name"]
    try:
        return jobs.Described(f"Imported {name}: {corpus.get_corpus(result['corpus']).notice}")
    except corpus.CorpusNotFound:
        return jobs.Described(f"Imported {name}; that corpus has since been deleted.", present=False)


def _partial() -> tuple[str, ...]:
    from namuweb.corpora import namuwiki
    return ("dump.*", OUTPUT, namuwiki.jamo_output(Path(OUTPUT)).name, ".*.tmp")


IMPORT = jobs.register(jobs.JobKind("import", FOLDERS, run, partial=_partial(),
                                    describe=describe,  # before 2026-05 the settings held the result
                                    legacy_result={"corpus": "result", "report": "report"}))
