"""The samplers' worker process: ``python -m namuweb.language_model.sampling_worker``.

Answers the Generate page's questions about a run's model (see :mod:`namuweb.language_model.sampling`):
``{"op": "open"}`` loads and checks it, ``{"op": "stream", …}`` writes samples (their text so far as
progress, a few times a second), ``{"op": "next_tokens", …}`` gives the next-token table,
``{"op": "syllable_choices", …}`` the likeliest next syllables (:mod:`namuweb.language_model.syllable_choices`).  The loaded
models stay for the next question.  Niced: the pages' own work comes first.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from namuweb import workers
from namuweb.language_model import decoding, generate

PROGRESS_EVERY_S = 0.25  # a growing text a few times a second reads as live; more only costs the pages


def answer(header: dict, data: bytes, progress) -> dict:
    generator = generate.load_generator(Path(header["run"]))
    op = header["op"]
    if op == "open":
        return {"ok": True}
    if op == "next_tokens":
        return {"table": generator.next_token_table(header["start"], header["temperature"], header["top_k"],
                                                    header["top_p"], after=header["after"])}
    if op == "syllable_choices":
        from namuweb.language_model import syllable_choices
        found = syllable_choices.choices(generator, header["start"], header["after"], temperature=header["temperature"],
                                         top_k=header["top_k"], top_p=header["top_p"], include=header["include"])
        return {"choices": [choice.to_json() for choice in found]}
    if op == "stream":
        told = time.monotonic()
        samples = []
        for samples in generator.stream(header["start"], header["length"], header["temperatures"],
                                        seed=header["seed"], top_k=header["top_k"], top_p=header["top_p"],
                                        decoding=decoding.Decoding.from_dict(header.get("decoding"))):
            if time.monotonic() - told >= PROGRESS_EVERY_S:
                progress([[s.text, s.stream[-400:]] for s in samples])
                told = time.monotonic()
        return {"start": samples[0].start, "samples": [s.tokens for s in samples]}
    if op == "inspect":  # a trace holds the cells' states for every character: too large for a JSON line, so a file of arrays
        from namuweb.language_model import inspection
        result = inspection.inspect(header["run"], header["text"])
        handle, path = tempfile.mkstemp(prefix="namuweb-inspection-", suffix=".npz")  # readable by us only
        os.close(handle)
        result.save(path)
        return {"saved": path}
    raise ValueError(f"unknown question {op!r}")


if __name__ == "__main__":
    sys.exit(workers.serve(answer, nice=5))
