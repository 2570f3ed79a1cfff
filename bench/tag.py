"""Sentences/s tagging the built-in corpus: bare taggers vs ``namuweb.morphemes.analyzers.pos``.

    NAMUWEB_HOME=$(mktemp -d) python bench/tag.py [--rounds 3] [--sentences 3000]

The corpus is split on '.' like the tutorial.  Bare calls (konlpy
``Okt().pos``, ``Kiwi().tokenize``) and namuweb's calls alternate for
--rounds rounds after a warm-up, so drift hits both alike; each figure is the
best round.  Goal: namuweb's overhead <= 10%.  Then Kiwi's batch API
(``kiwi.tokenize(list)``, Kiwi's own thread pool), which ``analyzers.tag_corpus``
uses for Kiwi, against one call per sentence.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from namuweb.morphemes import analyzers  # noqa: E402
from namuweb.corpora.corpus import ensure_builtin  # noqa: E402


def rate(fn, sentences) -> float:
    started = time.perf_counter()
    for sentence in sentences:
        fn(sentence)
    return len(sentences) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=3000)
    args = parser.parse_args()
    sentences = [s for s in ensure_builtin().read_text().split(".") if s.strip()][:args.sentences]
    print(f"{len(sentences):,} sentences, {sum(map(len, sentences)):,} chars, best of {args.rounds} rounds")

    from kiwipiepy import Kiwi
    from konlpy.tag import Okt
    okt, kiwi = Okt(), Kiwi()
    paths = {
        "okt bare": okt.pos,
        "okt namuweb": lambda s: analyzers.pos(s, "okt"),
        "kiwi bare": kiwi.tokenize,
        "kiwi namuweb": lambda s: analyzers.pos(s, "kiwi"),
    }
    for fn in paths.values():  # warm-up: JIT, model pages, engine creation
        rate(fn, sentences[:300])
    best = dict.fromkeys(paths, 0.0)
    for _ in range(args.rounds):
        for name, fn in paths.items():
            best[name] = max(best[name], rate(fn, sentences))
    for name, value in best.items():
        print(f"{name:14s} {value:10,.0f} sentences/s")
    for engine in ("okt", "kiwi"):
        overhead = best[f"{engine} bare"] / best[f"{engine} namuweb"] - 1
        print(f"{engine}: namuweb overhead {overhead:+.1%} (goal <= 10%)")

    batch = 0.0
    for _ in range(args.rounds):
        started = time.perf_counter()
        for _tokens in kiwi.tokenize(sentences):
            pass
        batch = max(batch, len(sentences) / (time.perf_counter() - started))
    print(f"kiwi batch     {batch:10,.0f} sentences/s  ({kiwi.num_workers} workers): "
          f"{batch / best['kiwi bare']:.2f}x one call per sentence")


if __name__ == "__main__":
    main()
