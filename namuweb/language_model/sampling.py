"""The Generate and Inspect pages' model, asked in a worker process: sampling is CPU work in Python, and in the
server's own process it held every other visitor's page for as long as it ran.

:class:`Model` keeps the run's vocabulary here (preparing a start text, recomposing picked tokens:
quick) and asks a pool of sampler processes (:mod:`namuweb.language_model.sampling_worker`, niced,
one per core at most) for everything that runs the network.  Each question has a time limit
(``NAMUWEB_GENERATION_TIMEOUT_S``); a worker that overstays it is replaced.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Callable, Sequence

from namuweb import config, workers
from namuweb.language_model import inspection, syllable_choices
from namuweb.language_model.run_folder import Run, RunError
from namuweb.language_model.decoding import Decoding
from namuweb.language_model.generate import CheckpointError, Sample, StartTextError, prepare_start
from namuweb.text.vocab import Vocabulary, detokenize

TIME_LIMIT_ENV = "NAMUWEB_GENERATION_TIMEOUT_S"
DEFAULT_TIME_LIMIT_S = 60.0
POOL = workers.Pool("namuweb.language_model.sampling_worker", size=max(1, min(4, os.cpu_count() or 1)),
                    env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
# What the worker raised, raised again here as itself: the page tells a damaged model from a bad start text.
_ERRORS = {"RunError": RunError, "CheckpointError": CheckpointError, "StartTextError": StartTextError}


class GenerationError(RuntimeError):
    """Generation gave no text (a time-out, a worker that died); one line for the visitor."""


def time_limit() -> float:
    """Seconds one question to the model may take (``NAMUWEB_GENERATION_TIMEOUT_S``, default 60)."""
    return config.positive_number(TIME_LIMIT_ENV, DEFAULT_TIME_LIMIT_S)


@functools.lru_cache(maxsize=16)
def _vocab(run_dir: str, checkpoint: str) -> Vocabulary:
    try:
        return Run(run_dir).vocab()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"run {Path(run_dir).name}: its vocab.json is missing or damaged ({error})") from None


def inspect(run_dir, text: str):
    """:func:`namuweb.language_model.inspection.inspect`, run in a sampler process: the model reads
    ``text`` (up to tens of thousands of characters, seconds of CPU) without holding the server."""
    answer = _ask_pool({"op": "inspect", "run": str(Path(run_dir).resolve()), "text": text}, "Reading the text")
    path = Path(answer["saved"])
    try:
        return inspection.Inspection.load(path)  # plain arrays and JSON: nothing is unpickled
    finally:
        path.unlink(missing_ok=True)


def _ask_pool(header: dict, what: str, progress: Callable | None = None) -> dict:
    try:
        answer = POOL.ask(header, time_limit_s=time_limit(), progress=progress, what=what)
    except workers.WorkerFailed as problem:
        raise GenerationError(str(problem)) from None
    if "error" in answer:
        error = _ERRORS.get(answer.get("kind"), GenerationError)
        raise error(answer["error"].split(": ", 1)[-1] if error is not GenerationError else answer["error"])
    return answer


class Model:
    """A run's latest checkpoint, ready to write: opening it loads and checks it in a worker."""

    def __init__(self, run_dir):
        self.run_dir = str(Path(run_dir).resolve())
        latest = Run(self.run_dir).latest_checkpoint()
        if latest is None:
            raise RunError(f"{Path(run_dir).name} has no checkpoint yet: train it first")
        self.vocab = _vocab(self.run_dir, latest["file"])
        self._ask({"op": "open"}, "Loading the model")

    def _ask(self, header: dict, what: str, progress: Callable | None = None) -> dict:
        return _ask_pool(dict(header, run=self.run_dir), what, progress)

    def stream(self, start: str, length: int, temperatures: list[float], *, seed: int, top_k: int = 0,
               top_p: float = 1.0, on_update: Callable[[list[tuple[str, str]]], None] | None = None,
               decoding: Decoding | None = None) -> list[Sample]:
        """``len(temperatures)`` samples of ``length`` new characters; ``on_update`` hears each sample's
        (text, last jamo) a few times a second while they grow, on the calling thread.  ``decoding``:
        :class:`namuweb.language_model.decoding.Decoding` (default: well-formed Hangul, nothing else)."""
        answer = self._ask({"op": "stream", "start": start, "length": length, "temperatures": temperatures,
                            "seed": seed, "top_k": top_k, "top_p": top_p,
                            "decoding": (decoding or Decoding()).validated().to_dict()}, "Generating", on_update)
        return [Sample(start=answer["start"], tokens=tokens, tokenizer=self.vocab.tokenizer)
                for tokens in answer["samples"]]

    def next_token_table(self, start: str, temperature: float, top_k: int = 0, top_p: float = 1.0,
                         after: Sequence[str] = ()) -> list[dict]:
        return self._ask({"op": "next_tokens", "start": start, "temperature": temperature, "top_k": top_k,
                          "top_p": top_p, "after": list(after)}, "Reading the next-token odds")["table"]

    def syllable_choices(self, start: str, temperature: float, top_k: int = 0, top_p: float = 1.0,
                         after: Sequence[str] = (), include: Sequence[str] = ()) -> list[syllable_choices.Choice]:
        """The likeliest next syllables after ``start`` and the tokens ``after`` it (see
        :func:`namuweb.language_model.syllable_choices.choices`), asked of a sampler."""
        answer = self._ask({"op": "syllable_choices", "start": start, "temperature": temperature, "top_k": top_k,
                            "top_p": top_p, "after": list(after), "include": list(include)},
                           "Reading the next syllables' odds")
        return [syllable_choices.Choice(**choice) for choice in answer["choices"]]

    def written(self, start: str, after: Sequence[str]) -> str:
        """The text of ``start`` followed by tokens picked one at a time (jamo recomposed as they close)."""
        return prepare_start(start, self.vocab).text + detokenize("".join(after), self.vocab.tokenizer)
