"""Who uses a corpus, so that deleting it is an informed choice and never pulls text from under a job.

Runs and embeddings keep working without their corpus (a model carries its vocabulary, vectors are
saved), but a run can no longer resume and a tagging job can no longer go on; a job reading the
corpus right now makes the deletion wait.  Which jobs read a corpus, and what its deletion costs
them, each kind of job says itself (:class:`namuweb.jobs.CorpusUse`); this module is handed the
kinds (``namuweb.registry`` hands it every kind the app has) and imports no tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from namuweb import jobs
from namuweb.corpora import corpus


@dataclass
class CorpusUsage:
    users: dict[str, list[str]] = field(default_factory=dict)  # kind → its jobs made from the corpus that outlive it
    costs: dict[str, str] = field(default_factory=dict)        # kind → what deleting the corpus costs them
    tagged: list[str] = field(default_factory=list)            # corpora tagged from it
    active: list[str] = field(default_factory=list)            # jobs reading it now

    def warning(self) -> str | None:
        """What deleting the corpus costs, in a sentence or two; None when nothing uses it.  Kinds whose
        jobs lose the same thing (skip-gram trainings and builds: embedding sets) are counted together."""
        groups: dict[str, list[str]] = {}
        for kind, names in self.users.items():
            groups.setdefault(self.costs[kind], []).extend(names)
        parts = [cost.format(n=len(names), names=_listed(names)) for cost, names in groups.items() if names]
        if self.tagged:
            parts.append(f"{len(self.tagged)} tagged corpus(es) stay, marked “source deleted”")
        return ("; ".join(parts) + ".") if parts else None


def _listed(items: list[str], limit: int = 3) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def corpus_usage(corpus_id: str, kinds: Iterable[jobs.JobKind], home: Path | None = None) -> CorpusUsage:
    """What the jobs of ``kinds`` made from ``corpus_id`` and which of them read it now."""
    usage = CorpusUsage()
    reading = set()
    for kind in kinds:
        if kind.corpus is None:
            continue
        for folder in kind.folders.all(home):
            if kind.reads(folder) != corpus_id:
                continue
            if kind.corpus.after_deletion:
                usage.users.setdefault(kind.name, []).append(kind.corpus.named(folder))
                usage.costs[kind.name] = kind.corpus.after_deletion
            if folder not in reading and (status := jobs.current_status(folder)) and status.active:
                reading.add(folder)  # a folder two kinds share (a build's skip-gram settings) is one job
                usage.active.append(f"{kind.corpus.noun} {kind.corpus.named(folder)}")
    usage.tagged = [c.name for c in corpus.list_corpora(home) if c.parent == corpus_id]
    return usage


def delete_corpus(corpus_id: str, kinds: Iterable[jobs.JobKind], home: Path | None = None) -> CorpusUsage:
    """Delete a corpus unless a job of ``kinds`` is reading it; returns what used it."""
    usage = corpus_usage(corpus_id, kinds, home)
    if usage.active:
        raise corpus.CorpusError(f"{_listed(usage.active)} is reading this corpus now: stop it or wait "
                                 "for it to end, then delete")
    corpus.delete_corpus(corpus_id, home)
    return usage
