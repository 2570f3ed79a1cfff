"""Word embeddings on disk: ``<data>/embeddings/<id>/``, trained here or imported.

A trained entry is also a job folder (status, log, ``loss.jsonl``), so the
explorer page can show a training in progress the same way the training
page does, and a reload or a second tab finds it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from namuweb import config as app_config
from namuweb.corpora import corpus
from namuweb import jobs, storage

META_FILE = "meta.json"
CONFIG_FILE = "config.json"
LOSS_FILE = "loss.jsonl"
VECTORS_FILE = "vectors.npy"


# Trained entries are skip-gram jobs; imported ones share the folder without being jobs.
FOLDERS = jobs.JobFolders("embeddings", CONFIG_FILE)
library_dir = FOLDERS.root_dir


def folders(home: Path | None = None) -> list[Path]:
    return sorted((p for p in library_dir(home).iterdir() if (p / META_FILE).is_file()), reverse=True)


def _write_meta(folder: Path, meta: dict) -> None:
    storage.write_json(folder / META_FILE, meta)


@dataclass
class Entry:
    id: str
    path: Path
    meta: dict
    status: jobs.JobStatus | None

    @property
    def ready(self) -> bool:
        return (self.path / VECTORS_FILE).is_file() and not (self.status and self.status.active)

    @property
    def label(self) -> str:
        return self.meta.get("name", self.id)


def entries(home: Path | None = None) -> list[Entry]:
    found = []
    for folder in folders(home):
        try:
            meta = storage.read_json(folder / META_FILE)
        except (OSError, ValueError):
            continue
        found.append(Entry(folder.name, folder, meta, jobs.enforce_stop(folder)))
    return found


def get(ref: str, home: Path | None = None) -> Entry:
    for entry in entries(home):
        if ref in (entry.id, entry.label) or Path(ref) == entry.path:
            return entry
    raise KeyError(f"no embeddings named {ref!r}; see the Embeddings page or python -m namuweb embeddings")


def create(config, home: Path | None = None) -> Path:
    """A folder for a skip-gram training job on a tagged corpus."""
    source = corpus.get_corpus(config.corpus, home)
    if source.source != "tagged":
        raise ValueError(f"“{source.name}” is not a tagged corpus: tag it on the Tagger page first "
                         f"(python -m namuweb tag-corpus {source.id})")
    config.corpus = source.id
    folder = FOLDERS.new("skipgram", home)
    FOLDERS.write(folder, config.to_json())
    _write_meta(folder, {"name": f"{source.name} · skip-gram {config.dimensions}d", "source": "trained",
                         "corpus": source.id, "corpus_name": source.name, "tagger": tagger_of(source)})
    return folder


# --- which tagger and tagset made a set of vectors ------------------------------------------------
# A visitor comparing vectors must know whether 국민 is 국민/Noun (Okt) or 국민/NNG (Kiwi, Komoran, Mecab, …):
# the meta records the tagger where it is known and the tagset's most frequent tags once the vectors exist.

OKT_TAGS = frozenset({"Noun", "Verb", "Adjective", "Adverb", "Josa", "Eomi", "PreEomi", "Punctuation", "Number",
                      "Alpha", "Foreign", "Determiner", "Modifier", "Conjunction", "Exclamation", "Suffix",
                      "VerbPrefix", "KoreanParticle", "Hashtag", "ScreenName", "Email", "URL"})
SHOWN_TAGS = 6


def tagger_of(source) -> str | None:
    """The engine that tagged a library corpus, from the notice tagging wrote on it ("… tagged with Kiwi
    (kiwipiepy)"); None for a corpus tagged elsewhere."""
    from namuweb.morphemes import analyzers
    said = f"{source.notice or ''} {source.name}"
    return next((engine for engine, label in analyzers.LABELS.items() if f"with {label}" in said
                 or f"({label}" in said), None)


def tagset_summary(embeddings) -> dict:
    """``{"tagset": "Okt" | "Sejong" | "" , "tags": the most frequent tags, by the words' counts}``: what
    the meta records and the page shows."""
    weight: dict[str, int] = {}
    for tag, count in zip(embeddings.tags(), embeddings.counts):
        if tag:
            weight[tag] = weight.get(tag, 0) + int(count)
    tags = sorted(weight, key=lambda tag: (-weight[tag], tag))
    if not tags:
        return {"tagset": "", "tags": []}
    okt = sum(weight[tag] for tag in tags if tag in OKT_TAGS)
    return {"tagset": "Okt" if 2 * okt >= sum(weight.values()) else "Sejong", "tags": tags[:SHOWN_TAGS]}


def record_tagset(folder: Path, embeddings) -> None:
    """Add the vectors' tagset to their ``meta.json``."""
    meta = storage.read_json(Path(folder) / META_FILE)
    _write_meta(Path(folder), meta | tagset_summary(embeddings))


def provenance(entry: Entry, embeddings) -> str:
    """One line under the Embeddings select: which tagger and tagset made these vectors, e.g. "tagged by
    Kiwi (kiwipiepy) (Sejong tags: NNG, VV, …)", "imported word2vec file; no tags".  Meta written before
    these fields existed still reads: the tags then come from the vectors themselves."""
    from namuweb.morphemes import analyzers
    meta = entry.meta
    summary = {"tagset": meta["tagset"], "tags": list(meta.get("tags", []))} if "tagset" in meta \
        else tagset_summary(embeddings)
    more = ", …" if len(set(embeddings.tags()) - {""}) > len(summary["tags"]) else ""
    tags = f"{summary['tagset'] + ' tags' if summary['tagset'] else 'tags'}: {', '.join(summary['tags'])}{more}"
    if meta.get("source") == "imported":
        return f"imported word2vec file; {tags}" if summary["tags"] else "imported word2vec file; no tags"
    tagger = analyzers.LABELS.get(meta.get("tagger") or "")
    where = f"tagged by {tagger}" if tagger else f"trained on “{meta.get('corpus_name', 'a tagged corpus')}”"
    return f"{where} ({tags})" if summary["tags"] else f"{where}; no tags"


def _train(folder: Path, job: jobs.JobContext, *, done_before: float | None = None) -> str:
    """Train the skip-gram settings in ``folder``; its vectors are saved there, also at a stop.
    Progress in steps, or, after ``done_before`` of a longer job (a build that tagged first), as the
    rest of its percentage."""
    from namuweb.embeddings import skipgram
    skipgram.configure_process()  # before TensorFlow starts
    config = skipgram.SkipGramConfig.from_json(FOLDERS.read(folder))

    def on_progress(row: dict, finished: bool = False) -> None:
        figures = {k: v for k, v in row.items() if isinstance(v, (int, float, str))}
        message = f"epoch {row.get('epoch', 1)} · loss {row.get('loss', float('nan')):.3f}"
        total = row.get("total_steps") or 1  # planned from the expected pairs: subsampling leaves fewer
        step = total if finished else min(row.get("step", 0), total)
        if done_before is None:
            job.report(step, total, "steps", message, **figures)
        else:
            job.report(round(100 * (done_before + (1 - done_before) * step / total), 1), 100, "%",
                       "training · " + message, **figures)
        last.update(row)

    last: dict = {}
    embeddings = skipgram.train(config, folder, should_stop=lambda: job.stop_requested, on_progress=on_progress)
    record_tagset(folder, embeddings)
    if last and not job.stop_requested:
        on_progress(last, finished=True)
    return f"{len(embeddings.words):,} words × {embeddings.vectors.shape[1]} dimensions in {folder}"


def run(folder: Path, job: jobs.JobContext) -> str:
    """The skip-gram job: train on the tagged corpus its settings name.

    Refused at its first start, the folder goes.  Failed (a diverging loss, an unreadable corpus),
    it has nothing partial to remove: the vectors are written only when training ends, each file
    whole (through a temporary file that a failed write removes itself).  The settings,
    ``meta.json``, the loss curve (which shows a divergence), the status and the log stay as the
    record of why."""
    return _train(folder, job)


def _quoted_label(folder: Path) -> str:
    return f"“{storage.read_json(Path(folder) / META_FILE).get('name', Path(folder).name)}”"


KEPT = "{n} embedding set(s) keep their vectors"
SKIPGRAM = jobs.register(jobs.JobKind(  # nothing partial: see run
    "skipgram", FOLDERS, run, corpus=jobs.CorpusUse(noun="skip-gram training", after_deletion=KEPT, name=_quoted_label)))


def import_file(data: bytes, name: str, home: Path | None = None) -> Entry:
    """Store a word2vec text or binary file (what gensim and most published vectors use)."""
    from namuweb.embeddings import vectors
    app_config.check_demo_upload(len(data), f"“{name}”")
    if not data:
        raise ValueError("the file is empty")
    with tempfile.NamedTemporaryFile(suffix=".w2v") as f:
        f.write(data)
        f.flush()
        try:
            embeddings = vectors.read_word2vec(f.name)
        except (ValueError, UnicodeDecodeError, IndexError) as error:
            raise ValueError(f"“{name}” is not a word2vec text or binary file: {error}") from None
    folder = FOLDERS.new("imported", home)
    embeddings.save(folder)
    _write_meta(folder, {"name": f"{corpus.display_name(name)} (imported)", "source": "imported", "tagger": None}
                | tagset_summary(embeddings))
    return Entry(folder.name, folder, storage.read_json(folder / META_FILE), None)


def load(entry: Entry | Path):
    from namuweb.embeddings import vectors
    return vectors.Embeddings.load(entry.path if isinstance(entry, Entry) else Path(entry))


def loss_curve(folder: Path) -> pd.DataFrame:
    rows = storage.read_jsonl(Path(folder) / LOSS_FILE)
    return pd.DataFrame(rows, columns=sorted({k for r in rows for k in r} | {"step", "loss"}))


# --- from nothing to a map in one job: tag a plain corpus, then train with the defaults ---------

BUILD_FILE = "build.json"
BUILDS = jobs.JobFolders("embeddings", BUILD_FILE)
TAGGING_SHARE = 0.5  # of the one progress bar: tagging the built-in corpus takes about as long as training it


BUILD_ENGINES = ("okt", "kiwi")  # the tutorial's tagger, and the one that needs no Java


def build_engines() -> list[str]:
    """The taggers a one-click build offers, those that can run here, the default first: Okt (the
    tutorial's, so the vectors speak the tutorial's 국민/Noun) where Java is present, else Kiwi."""
    from namuweb.morphemes import analyzers
    available = {e.name for e in analyzers.engines() if e.available}
    return [engine for engine in BUILD_ENGINES if engine in available]


def default_engine() -> str:
    """Okt, the tutorial's, where Java is present, else Kiwi (no Java to start)."""
    return next(iter(build_engines()), "okt")


def create_build(corpus_ref: str = corpus.BUILTIN_ID, engine: str | None = None, home: Path | None = None) -> Path:
    """A folder for a build: a plain corpus to tag with ``engine`` and train skip-gram on, as one job."""
    from namuweb.morphemes import analyzers
    engine = engine or default_engine()
    if engine not in analyzers.ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(analyzers.ENGINES)}")
    source = corpus.get_corpus(corpus_ref, home)
    if source.source == "tagged":
        raise ValueError(f"“{source.name}” is tagged already: train on it (python -m namuweb skipgram --corpus "
                         f"{source.id})")
    folder = BUILDS.new("built", home)
    BUILDS.write(folder, {"corpus": source.id, "engine": engine})
    _write_meta(folder, {"name": f"{source.name} · {analyzers.LABELS[engine]} · skip-gram", "source": "trained",
                         "corpus": source.id, "corpus_name": source.name, "tagger": engine})
    return folder


def build(folder: Path, job: jobs.JobContext) -> str:
    """Tag the build's corpus into a tagged library corpus (once; a resumed build goes on where it
    stopped), then train skip-gram on it with the defaults.

    Refused at its first start, the folder goes.  Failed, it removes the partial tagged text and its
    resume sidecar.  A tagged corpus it had finished stays in the library: it is whole, and a
    Resume trains on it instead of tagging again.  The settings, ``meta.json``, the
    loss curve, the status and the log stay as the record of why."""
    from namuweb.embeddings import skipgram
    from namuweb.morphemes import analyzers, corpus_tagging
    folder = Path(folder)
    settings = BUILDS.read(folder)
    if BUILD.result(folder).get("tagged") is None:
        label = analyzers.LABELS[settings["engine"]]

        def progress(done: int, total: int, lines: int, sentences: int) -> None:
            job.report(round(100 * TAGGING_SHARE * done / max(total, 1), 1), 100, "%",
                       f"tagging with {label} · {sentences:,} sentences")

        try:
            stats, tagged = corpus_tagging.tag_into_library(corpus.get_corpus(settings["corpus"]), settings["engine"],
                                                     folder / corpus_tagging.OUTPUT, should_stop=lambda: job.stop_requested,
                                                     progress=progress)
        except analyzers.EngineUnavailable as error:
            raise jobs.JobError(str(error)) from None
        if tagged is None:
            return f"stopped while tagging, after {stats['lines']:,} lines; resume to go on"
        FOLDERS.write(folder, skipgram.SkipGramConfig(corpus=tagged.id).validated().to_json())
        job.record(tagged=tagged.id)
    return _train(folder, job, done_before=TAGGING_SHARE)


BUILD = jobs.register(jobs.JobKind(
    "build-embeddings", BUILDS, build, partial=("tagged.txt", "tagged.txt.progress"),
    corpus=jobs.CorpusUse(noun="embeddings build", after_deletion=KEPT, name=_quoted_label),
    legacy_result={"tagged": "tagged"}))  # before 2026-05 the settings held it
