"""Every kind of job the app has, in one registry, and what only the whole registry can answer.

Each kind is declared once, beside its domain function, and registers itself when its module is
imported (:func:`namuweb.jobs.register`); the jobs package imports no tool, so this module, above the
tools, imports every tool that declares one: :data:`KINDS` is complete wherever it is imported (the
pages, through ``app_pages/_widgets.py``; the command line).  What needs every kind lives here:
who uses a corpus, and deleting one only when no job reads it (:mod:`namuweb.corpora.deletion` does
the work with the kinds it is handed).
"""

from __future__ import annotations

from pathlib import Path

from namuweb import jobs
from namuweb.corpora import deletion, downloads, uploads
from namuweb.embeddings import embedding_library
from namuweb.language_model import training
from namuweb.morphemes import corpus_tagging

# The tools that declare a kind of job; each module's kinds are found in it, not named here.
TOOLS = (training, corpus_tagging, embedding_library, uploads, downloads)
KINDS: dict[str, jobs.JobKind] = {value.name: value for module in TOOLS for value in vars(module).values()
                                  if isinstance(value, jobs.JobKind)}
if unregistered := [name for name, kind in KINDS.items() if jobs.KINDS.get(name) is not kind]:
    raise RuntimeError(f"kinds of job declared without jobs.register(): {unregistered}")


def kind(name: str) -> jobs.JobKind:
    """The kind of job called ``name`` (a status's ``kind``)."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"no kind of job is called {name!r}; the kinds are {', '.join(KINDS)}") from None


def corpus_usage(corpus_id: str, home: Path | None = None) -> deletion.CorpusUsage:
    """What the app's jobs made from ``corpus_id``, and which of them read it now."""
    return deletion.corpus_usage(corpus_id, KINDS.values(), home)


def delete_corpus(corpus_id: str, home: Path | None = None) -> deletion.CorpusUsage:
    """Delete a corpus unless one of the app's jobs is reading it; returns what used it."""
    return deletion.delete_corpus(corpus_id, KINDS.values(), home)
