"""Who uses a corpus, so that deleting it is an informed choice and never pulls text from under a job.

Runs and embeddings keep working without their corpus (a model carries its vocabulary, vectors are
saved), but a run can no longer resume and a tagging job can no longer go on; a job reading the
corpus right now makes the deletion wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from namuweb.corpora import corpus
from namuweb.embeddings import embedding_library
from namuweb import jobs
from namuweb.language_model import runs
from namuweb.morphemes import tagging


@dataclass
class CorpusUsage:
    runs: list[str] = field(default_factory=list)         # run ids trained on the corpus
    embeddings: list[str] = field(default_factory=list)   # embeddings trained on it
    tagged: list[str] = field(default_factory=list)       # corpora tagged from it
    active: list[str] = field(default_factory=list)       # jobs reading it now

    def warning(self) -> str | None:
        """What deleting the corpus costs, in a sentence or two; None when nothing uses it."""
        parts = []
        if self.runs:
            parts.append(f"{len(self.runs)} training run(s) ({_listed(self.runs)}) will still generate text "
                         "but can no longer resume or be evaluated")
        if self.embeddings:
            parts.append(f"{len(self.embeddings)} embedding set(s) keep their vectors")
        if self.tagged:
            parts.append(f"{len(self.tagged)} tagged corpus(es) stay, marked “source deleted”")
        return ("; ".join(parts) + ".") if parts else None


def _listed(items: list[str], limit: int = 3) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def corpus_usage(corpus_id: str, home: Path | None = None) -> CorpusUsage:
    usage = CorpusUsage()
    for folder in runs.runs_using(corpus_id, home):
        usage.runs.append(folder.name)
        if (status := jobs.current_status(folder)) and status.active:
            usage.active.append(f"training run {folder.name}")
    for entry in embedding_library.entries(home):
        if entry.meta.get("corpus") == corpus_id:
            usage.embeddings.append(entry.label)
            if entry.status and entry.status.active:
                usage.active.append(f"skip-gram training “{entry.label}”")
    for job in tagging.FOLDERS.all(home):
        try:
            reads_it = tagging.FOLDERS.read(job).get("corpus") == corpus_id
        except (OSError, ValueError):
            continue
        if reads_it and (status := jobs.current_status(job)) and status.active:
            usage.active.append(f"tagging job {job.name}")
    usage.tagged = [c.name for c in corpus.list_corpora(home) if c.parent == corpus_id]
    return usage


def delete_corpus(corpus_id: str, home: Path | None = None) -> CorpusUsage:
    """Delete a corpus unless a job is reading it; returns what used it."""
    usage = corpus_usage(corpus_id, home)
    if usage.active:
        raise corpus.CorpusError(f"{_listed(usage.active)} is reading this corpus now: stop it or wait "
                                         "for it to end, then delete")
    corpus.delete_corpus(corpus_id, home)
    return usage
