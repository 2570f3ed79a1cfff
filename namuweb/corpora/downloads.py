"""Downloading a text into the corpus library, as a job under ``<data>/jobs/download/<id>/``.

A catalogue entry (:mod:`namuweb.corpora.catalogue`) or any http(s) URL: the files are fetched one after
another (:func:`namuweb.corpora.fetch.fetch`: bytes, speed and ETA reported; Stop keeps the partial file
and Resume continues it with an HTTP range where the server allows one), then converted to plain text
(a catalogue entry by its format's converter; a URL as an upload of the same file would be: text, a
``.gz``/``.zip``, or a Namuwiki dump, imported here), and the text joins the library with its source,
licence and attribution.  A bad source fails the job with one line and leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from namuweb import config as app_config
from namuweb import jobs, storage
from namuweb.corpora import catalogue, corpus, fetch, uploads

FOLDERS = jobs.JobFolders("jobs/download", "job.json")
MAX_DOWNLOAD_ENV = "NAMUWEB_MAX_DOWNLOAD_MB"
DEFAULT_MAX_DOWNLOAD_MB = 4096
SIZE_SLACK = 1.5          # a catalogue file may be this much larger than the entry says, no more
MAX_UNPACK_RATIO = 100    # unpacked bytes per packed byte: text packs 3-10x, a zip bomb 1000x and more
FILES = "files"
OUTPUT = "output.txt"
SOURCE = "download"


class DownloadError(corpus.CorpusError):
    """A download that cannot start; one line for the user."""


def max_download_bytes() -> int:
    value = os.environ.get(MAX_DOWNLOAD_ENV, "").strip()
    try:
        megabytes = float(value) if value else DEFAULT_MAX_DOWNLOAD_MB
    except ValueError:
        raise DownloadError(f"{MAX_DOWNLOAD_ENV} must be a number of megabytes, got {value!r}") from None
    if not 0 < megabytes < float("inf"):
        raise DownloadError(f"{MAX_DOWNLOAD_ENV} must be positive, got {value!r}")
    return int(megabytes * app_config.MB)


def _check_demo(entry: catalogue.CatalogueEntry | None) -> None:
    demo = app_config.demo_settings()
    if not demo:
        return
    if entry is None:
        raise DownloadError("this demo downloads only the catalogue's texts, not other addresses")
    if entry.approx_bytes > demo.max_download_bytes:
        raise DownloadError(f"“{entry.title}” is about {entry.approx_bytes / app_config.MB:,.0f} MB; this demo "
                            f"downloads at most {demo.max_download_bytes / app_config.MB:,.0f} MB")


def name_from_url(url: str) -> str:
    """A display name from a URL's last path segment (``ratings.txt``), else its host."""
    parts = urlsplit(url)
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.path else ""
    return corpus.display_name(last or parts.hostname or "download")


def create(source: str, *, name: str | None = None, home: Path | None = None) -> Path:
    """A download job (not yet started) for a catalogue entry's name or an http(s) URL.

    A URL may end in ``#sha256=<hex>`` (as pip's links do): the file must then match that checksum."""
    entry = None
    try:
        entry = catalogue.get(source)
    except KeyError:
        if "://" not in source:
            raise DownloadError(f"{source!r} is neither a catalogue entry ("
                                + ", ".join(e.name for e in catalogue.entries()) + ") nor an http(s) address") from None
    _check_demo(entry)
    if entry is not None:
        files = [dataclasses.asdict(f) | {"location": catalogue.location(entry, f)} for f in entry.files]
        settings = {"catalogue": entry.name, "name": name or entry.title, "format": entry.format,
                    "licence": entry.licence_line, "attribution": entry.attribution, "source_url": entry.homepage}
    else:
        url, _, fragment = source.strip().partition("#")
        url = fetch.check_url(url)
        sha256 = fragment[len("sha256="):].lower() if fragment.startswith("sha256=") else None
        if sha256 is not None and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
            raise DownloadError("#sha256= must be followed by 64 hexadecimal digits")
        files = [{"url": url, "location": url, "name": name_from_url(url), "member": None, "size": None,
                  "sha256": sha256}]
        settings = {"catalogue": None, "name": name or name_from_url(url), "format": None, "licence": None,
                    "attribution": None, "source_url": url}
    settings["name"] = corpus.display_name(settings["name"])
    job_dir = FOLDERS.new(home=home)
    FOLDERS.write(job_dir, settings | {"files": files, "created": storage.utc_stamp(), "result": None,
                                       "error": None})
    return job_dir


def _limit_for(file: dict) -> int:
    limit = max_download_bytes()
    demo = app_config.demo_settings()
    if demo:
        limit = min(limit, demo.max_download_bytes)
    return min(limit, int(file["size"] * SIZE_SLACK)) if file.get("size") else limit


def _fetch_one(file: dict, target: Path, job: jobs.JobContext, done_before: int, total: int | None) -> bool:
    """One file into ``target``; False when a stop came first (the partial file stays for a resume)."""
    location = file["location"]

    def progress(done: int, declared: int | None) -> None:
        whole = total if total is not None else (done_before + declared if declared else None)
        job.report((done_before + done) / app_config.MB, whole / app_config.MB if whole else None, "MB",
                   f"{file['name']}")

    if "://" not in location:  # a mirror folder on this machine: the operator's, not a visitor's
        source = Path(location)
        if not source.is_file():
            raise fetch.FetchError(f"the mirror has no {file['name']} (looked for {source})")
        if source.stat().st_size > _limit_for(file):
            raise fetch.FetchError(f"{source} is larger than the limit of {fetch.size_text(_limit_for(file))}")
        shutil.copyfile(source, target)
        progress(target.stat().st_size, target.stat().st_size)
        problem = None
        if file.get("size") is not None and target.stat().st_size != file["size"]:
            problem = f"{file['name']} is {target.stat().st_size:,} bytes, but {file['size']:,} were expected"
        elif file.get("sha256") and fetch.sha256_of(target) != file["sha256"]:
            problem = f"{file['name']} does not match its checksum"
        if problem:
            target.unlink()
            raise fetch.FetchError(problem)
        return True
    _check_space(target.parent, file.get("size"))
    fetched = fetch.fetch(location, target, limit=_limit_for(file), expected_size=file.get("size"),
                          expected_sha256=file.get("sha256"), progress=progress,
                          should_stop=lambda: job.stop_requested)
    return fetched is not None


def _check_space(folder: Path, size: int | None) -> None:
    if size is not None and shutil.disk_usage(folder).free < 2 * size:
        raise OSError(errno.ENOSPC, "not enough free space for the download and its text")


def _unpacked(path: Path, member: str) -> Path:
    """``member`` of the zip at ``path``, streamed out with a cap against zip bombs."""
    inner = path.with_name(path.name + ".unpacked")
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise fetch.FetchError(f"{path.name} holds no {member}") from None
            cap = min(max_download_bytes(), MAX_UNPACK_RATIO * max(path.stat().st_size, 1))
            with archive.open(info) as source:
                uploads._copy_capped(source, inner, cap, f"“{member}” unpacked")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as error:
        raise fetch.FetchError(f"{path.name} is not a readable zip file: {error}") from None
    path.unlink()
    return inner


def _convert(settings: dict, paths: list[Path], output: Path, job: jobs.JobContext) -> bool:
    """A catalogue entry's files as plain text in ``output``; False when a stop came first."""
    converter = catalogue.CONVERTERS[settings["format"]]
    total = sum(p.stat().st_size for p in paths)
    with open(output, "w", encoding="utf-8", newline="\n", opener=storage.private_opener) as out:
        try:
            for written in converter(paths, out, lambda: job.stop_requested):
                job.report(written, None, "characters", f"converting {settings['name']}")
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as error:
            raise fetch.FetchError(f"the files of {settings['name']} are not in the expected format "
                                   f"({settings['format']}): {str(error)[:200]}") from None
    if job.stop_requested:
        return False
    if output.stat().st_size == 0:
        raise fetch.FetchError(f"{settings['name']} held no text ({total:,} bytes of files)")
    return True


def run(job_dir: Path, job: jobs.JobContext) -> str:
    """Fetch the job's files, convert them, and add the text to the library.

    Refused at its first start, the job folder goes.  Failed, whatever the cause, it removes the
    fetched files (partial ones too) and the converted text; ``job.json`` (with the error), the
    status and the log stay as the record of why.  Stopped, the files stay for Resume."""
    job_dir = Path(job_dir)
    settings = FOLDERS.read(job_dir)
    folder = job_dir / FILES
    folder.mkdir(mode=app_config.PRIVATE_DIR, exist_ok=True)
    files = settings["files"]
    known = [f.get("size") for f in files]
    total = sum(known) if all(s is not None for s in known) else None
    try:
        paths, done = [], 0
        for index, file in enumerate(files):
            target = folder / f"file-{index:03d}"  # never a name from outside
            if not target.exists() and not _fetch_one(file, target, job, done, total):
                return f"stopped after {done / app_config.MB:,.1f} MB; resume to continue"
            done += target.stat().st_size
            paths.append(target)
            if job.stop_requested:
                return f"stopped after {done / app_config.MB:,.1f} MB; resume to continue"
        result = _store(settings, paths, job_dir, job)
        if result is None:
            return "stopped while converting; resume to convert again"
    except (fetch.FetchError, corpus.CorpusError, jobs.JobError) as error:
        _forget(job_dir)
        raise jobs.JobError(str(error)) from None
    except OSError as error:
        message = corpus.storage_message(error, f"the download of “{settings['name']}”") \
            if error.errno in corpus.UNWRITABLE else f"the download of “{settings['name']}” failed: {error}"
        _forget(job_dir)
        raise jobs.JobError(message) from None
    shutil.rmtree(folder, ignore_errors=True)
    job.record(corpus=result.id)
    return f"{result.name}: {result.chars:,} characters, {result.bytes / app_config.MB:,.1f} MB\ncorpus {result.id}"


def _store(settings: dict, paths: list[Path], job_dir: Path, job: jobs.JobContext) -> corpus.Corpus | None:
    origin = dict(licence=settings["licence"], attribution=settings["attribution"], source_url=settings["source_url"])
    if settings["catalogue"] is not None:
        paths = [_unpacked(p, f["member"]) if f.get("member") else p for p, f in zip(paths, settings["files"])]
        output = job_dir / OUTPUT
        if not _convert(settings, paths, output, job):
            output.unlink(missing_ok=True)
            return None
        return corpus.add_file(output, settings["name"], source=SOURCE, home=None,
                               notice=f"Downloaded from the catalogue: {settings['catalogue']}", **origin)
    # Any URL: the file as an upload of it would be taken (text, .gz/.zip, a Namuwiki dump).
    limit = min(max_download_bytes(), MAX_UNPACK_RATIO * paths[0].stat().st_size)  # what an archive may unpack to
    received = uploads.store_file(paths[0], settings["files"][0]["name"], limit=limit, source=SOURCE, **origin)
    if received.kind == "corpus":
        return received.corpus
    try:  # a dump: imported here, under this job's progress and stop
        _, imported = uploads.import_into_library(received.job_dir, job)
    finally:
        shutil.rmtree(received.job_dir, ignore_errors=True)
    if imported is None:
        return None
    return corpus.set_origin(imported.id, **origin)


def _forget(job_dir: Path) -> None:
    """A failed download leaves nothing behind: its files go (its status keeps the reason)."""
    shutil.rmtree(job_dir / FILES, ignore_errors=True)
    (job_dir / OUTPUT).unlink(missing_ok=True)


def check_startable(job_dir: Path) -> None:
    settings = FOLDERS.read(job_dir)
    if DOWNLOAD.result(job_dir).get("corpus"):
        raise jobs.JobError(f"“{settings['name']}” is already in the library")
    entry = catalogue.get(settings["catalogue"]) if settings.get("catalogue") else None
    try:
        _check_demo(entry)
    except DownloadError as error:
        raise jobs.JobError(str(error)) from None


def describe(job_dir: Path, result: dict) -> jobs.Described | None:
    """The text a finished download added, with its licence (nothing once that corpus is deleted)."""
    name = FOLDERS.read(job_dir)["name"]
    try:
        got = corpus.get_corpus(result["corpus"])
    except (corpus.CorpusNotFound, KeyError):
        return None
    return jobs.Described(f"Downloaded {name}: {got.chars:,} characters · {got.licence or ''}")


DOWNLOAD = jobs.register(jobs.JobKind("download", FOLDERS, run, check=check_startable, max_active=2,
                                      partial=(FILES, OUTPUT), describe=describe,
                                      legacy_result={"corpus": "result"}))  # before 2026-05 the settings held it
