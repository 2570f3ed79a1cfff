"""Tagging a whole corpus as a job: ``<data>/jobs/tag/<id>/``.

The job folder holds the settings (``job.json``), the status and log the job
mechanism keeps, and the partial output with its resume sidecar, so a stopped
or interrupted job picks up where it was.  Only a finished output moves into
the corpus library, as a tagged corpus linked to its source.
"""

from __future__ import annotations

from pathlib import Path

from namuweb.corpora import corpus
from namuweb import jobs, storage
from namuweb.config import MB
from namuweb.morphemes import analyzer_processes

OUTPUT = "tagged.txt"
# Engines a tagging job runs in its own process: native code, linear in its input (Kiwi tags in batches).
# The JVM engines answer from worker processes with the pages' time limit per sentence instead.
IN_PROCESS = ("kiwi", "mecab")
FOLDERS = jobs.JobFolders("jobs/tag", "job.json")


def create_job(corpus_ref: str, engine: str, *, norm: bool = False, stem: bool = False,
               home: Path | None = None) -> Path:
    from namuweb.morphemes import analyzers
    if engine not in analyzers.ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(analyzers.ENGINES)}")
    source = corpus.get_corpus(corpus_ref, home)
    stamp = storage.utc_stamp()
    job_dir = FOLDERS.new(engine, home, stamp=stamp)
    FOLDERS.write(job_dir, {"corpus": source.id, "corpus_name": source.name, "engine": engine,
                            "norm": norm, "stem": stem, "created": stamp})
    return job_dir


def tag_into_library(source: corpus.Corpus, engine: str, output: Path, *, should_stop, progress,
                     **options) -> tuple[dict, corpus.Corpus | None]:
    """Tag (or go on tagging) ``source`` into ``output``; a finished output becomes a tagged library
    corpus linked to its source (None while stopped).  ``progress(done, total, lines, sentences)``
    counts bytes of the source."""
    from namuweb.morphemes import analyzers
    given_up = []

    def within_time_limit(sentence: str, engine: str, **options) -> list[tuple[str, str]]:
        """An engine call with the pages' time limit (a worker process): a sentence the engine hangs or
        crashes on (Kkma on a long run of one syllable) is left out and counted, and the job goes on."""
        try:
            return analyzer_processes.pos(sentence, engine, **options)
        except analyzer_processes.EngineGaveUp:
            given_up.append(sentence[:80])
            return []
    stats = analyzers.tag_corpus(source.path, output, engine, progress=progress, should_stop=should_stop,
                             resume=True, tagger=None if engine in IN_PROCESS else within_time_limit, **options)
    stats["given_up"] = len(given_up)
    if stats.get("stopped"):
        return stats, None
    label = analyzers.LABELS[engine] + (" norm" if options.get("norm") else "") + (" stem" if options.get("stem") else "")
    left_out = (f"; {stats['given_up']:,} sentence{'s' if stats['given_up'] != 1 else ''} left out, past the engine's "
                f"time limit ({analyzer_processes.TIMEOUT_ENV})" if stats["given_up"] else "")
    tagged = corpus.add_file(output, f"{source.name} · tagged ({label})", source="tagged", parent=source.id,
                             notice=f"{stats['sentences']:,} sentences tagged with {label}{left_out}")
    output.with_suffix(output.suffix + ".progress").unlink(missing_ok=True)
    return stats, tagged


def run(job_dir: Path, job: jobs.JobContext) -> str:
    """Tag (or go on tagging) the job's corpus; a finished output becomes a library corpus.

    Refused at its first start, the job folder goes.  Failed (an engine that gave up, a damaged
    source), it removes the partial tagged text and its resume sidecar, so a Resume tags from the
    start; ``job.json``, the status and the log stay as the record of why."""
    from namuweb.morphemes import analyzers
    job_dir = Path(job_dir)
    settings = FOLDERS.read(job_dir)
    options = {"norm": settings["norm"], "stem": settings["stem"]} if settings["engine"] == "okt" else {}

    def progress(done: int, total: int, lines: int, sentences: int) -> None:
        job.report(done / MB, total / MB, "MB", f"{lines:,} lines · {sentences:,} sentences",
                   lines=lines, sentences=sentences)

    try:
        stats, tagged = tag_into_library(corpus.get_corpus(settings["corpus"]), settings["engine"], job_dir / OUTPUT,
                                         should_stop=lambda: job.stop_requested, progress=progress, **options)
    except analyzers.EngineUnavailable as error:
        raise jobs.JobError(str(error)) from None
    if tagged is None:
        return f"stopped after {stats['lines']:,} lines; resume with --job-dir {job_dir}"
    job.record(corpus=tagged.id)
    left_out = f" ({stats['given_up']:,} left out past the engine's time limit)" if stats["given_up"] else ""
    return f"tagged {stats['sentences']:,} sentences into corpus {tagged.id}{left_out}"


def describe(job_dir: Path, result: dict) -> jobs.Described:
    """The tagged corpus a finished job made, or that it has been deleted since."""
    try:
        tagged = corpus.get_corpus(result["corpus"])
    except corpus.CorpusNotFound:
        return jobs.Described("The tagged corpus this job made has since been deleted.", present=False)
    return jobs.Described(f"Saved as the corpus “{tagged.name}”: {tagged.notice}.")


TAGGING = jobs.register(jobs.JobKind("tag", FOLDERS, run, partial=(OUTPUT, OUTPUT + ".progress"),
                                     corpus=jobs.CorpusUse(noun="tagging job"), describe=describe,
                                     legacy_result={"corpus": "result"}))  # before 2026-05 the settings held it
