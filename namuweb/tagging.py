"""Tagging a whole corpus as a job: ``<data>/jobs/tag/<id>/``.

The job folder holds the settings (``job.json``), the status and log the job
mechanism keeps, and the partial output with its resume sidecar, so a stopped
or interrupted job picks up where it was.  Only a finished output moves into
the corpus library, as a tagged corpus linked to its source.
"""

from __future__ import annotations

from pathlib import Path

from namuweb import corpus as corpus_library
from namuweb import jobs, storage

KIND = "tag"
JOB_FILE = "job.json"
OUTPUT = "tagged.txt"


FOLDERS = jobs.JobFolders(KIND, JOB_FILE)
jobs_dir = FOLDERS.root
job_dirs = FOLDERS.all
read_job = FOLDERS.read
_write_job = FOLDERS.write
active_jobs = FOLDERS.active


def create_job(corpus_ref: str, engine: str, *, norm: bool = False, stem: bool = False,
               home: Path | None = None) -> Path:
    from namuweb import morph
    if engine not in morph.ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(morph.ENGINES)}")
    source = corpus_library.get_corpus(corpus_ref, home)
    stamp = storage.utc_stamp()
    job_dir = jobs_dir(home) / storage.new_name(engine, stamp=stamp)
    job_dir.mkdir()
    _write_job(job_dir, {"corpus": source.id, "corpus_name": source.name, "engine": engine,
                         "norm": norm, "stem": stem, "created": stamp, "result": None})
    return job_dir


def start(job_dir: Path, home: Path | None = None) -> jobs.JobStatus:
    return jobs.start(job_dir, KIND, ["tag-corpus", "--job-dir", str(job_dir)], peers=job_dirs(home))


def run(job_dir: Path, *, should_stop=lambda: False, progress=None) -> dict:
    """Tag (or go on tagging) the job's corpus; a finished output becomes a library corpus."""
    from namuweb import morph
    job_dir = Path(job_dir)
    settings = read_job(job_dir)
    source = corpus_library.get_corpus(settings["corpus"])
    output = job_dir / OUTPUT
    options = {"norm": settings["norm"], "stem": settings["stem"]} if settings["engine"] == "okt" else {}
    stats = morph.tag_corpus(source.path, output, settings["engine"], progress=progress, should_stop=should_stop,
                             resume=True, **options)
    if not stats.get("stopped"):
        label = morph.LABELS[settings["engine"]] + (" norm" if options.get("norm") else "") + \
            (" stem" if options.get("stem") else "")
        tagged = corpus_library.add_file(output, f"{source.name} · tagged ({label})", source="tagged",
                                         parent=source.id,
                                         notice=f"{stats['sentences']:,} sentences tagged with {label}")
        output.with_suffix(output.suffix + ".progress").unlink(missing_ok=True)
        settings["result"] = tagged.id
        _write_job(job_dir, settings)
        stats["corpus"] = tagged.id
    return stats

