"""Skip-gram at the defaults against gensim: words/s, and how far the vectors agree with word2vec's.

    python bench/skipgram.py [--epochs 5] [--rounds 3] [--text FILE ...] [--set learning_rate=0.025 ...]

NAMUWEB_HOME is set to a fresh temporary directory, the built-in corpus is
tagged there with Okt (the tutorial's rule: split at '.', keep sentences of
more than one token), and both trainers see the same sentences with the same
settings: skip-gram at namuweb's defaults (``SkipGramConfig``: 5 negatives, window 2, 100
dimensions, min_count 2, subsampling 1e-3; the first two lines printed set them beside
word2vec's), 2 workers for gensim (this machine's cores).  Words/s is
corpus tokens in the vocabulary × epochs / training wall time.

namuweb trains as its job worker does: in a fresh process, set up by
``skipgram.configure_process``, timing its whole ``train`` call (reading the
corpus, TensorFlow starting and tracing, saving) after TensorFlow is imported.
It trains twice, with its default — K negatives per step shared by the step's
pairs — and with k negatives per pair as word2vec draws them.  gensim's time is
its whole ``Word2Vec(...)`` call.  Rounds alternate; each figure is the median.
Goal (issue 6): namuweb >= 0.5x gensim.

Agreement (issue 18): for the 100 most frequent words, the overlap of their 10 nearest neighbours
between namuweb and gensim (each with seeds 1 and 2, the mean of the four pairs), over the overlap
between gensim with seed 1 and gensim with seed 2 — how close namuweb comes to being one more run of word2vec.  On the
built-in corpus and on every ``--text`` (plain Korean text, tagged here with Okt the same way).
``--set NAME=VALUE`` changes a namuweb setting (not gensim's) to try other defaults.
Goal: ratio >= 0.9 on every corpus at the defaults.

Content words (issue 34): beside the agreement, each corpus's row gives the share of content words
(``tag_display.is_content``: nouns, verbs, adjectives, adverbs in either tagset) among the 10 nearest
neighbours of its 100 most frequent content words, searched in the whole vocabulary — unfiltered, as the
Neighbours tab shows them with its "Content words only" switch off (with it on, all are content words by
construction) — for namuweb (seeds 1 and 2, the mean) and gensim at the same settings; and the Spearman
correlation of cosine similarity with the built-in Korean word pairs (``namuweb/embeddings/data``, scores
of our own judgement), with the pairs it could score.  ``--kiwi-text FILE`` adds a plain Korean text tagged
here with Kiwi through ``analyzers.tag_corpus`` (the one-click build's and tagging jobs' own code), its
first ``--max-mb`` megabytes (whole lines).  Goal: content share >= 0.9 at the defaults on the movie
reviews (``../shared/corpora/nsmc_reviews_40plus.txt``), printed on every row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["NAMUWEB_HOME"] = tempfile.mkdtemp(prefix="namuweb-bench-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(ROOT))

from namuweb.corpora import corpus  # noqa: E402
from namuweb.embeddings import evaluation, skipgram, vectors  # noqa: E402
from namuweb.morphemes import analyzers  # noqa: E402
from namuweb.morphemes.tag_display import is_content  # noqa: E402

WORD2VEC_DEFAULTS = {"window": 5, "min_count": 5, "subsample": 1e-3, "negatives": 5, "epochs": 5, "dimensions": 100}

PROBES = ("국민/Noun", "대통령/Noun", "법률/Noun")

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from namuweb.embeddings import skipgram
skipgram.configure_process()
import tensorflow  # noqa: F401  (not part of the timing, as in the bench's gensim side)
config = skipgram.SkipGramConfig(corpus={corpus!r}, **{settings!r})
started = time.perf_counter()
trained = skipgram.train(config, Path({out!r}))
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "words": int(sum(trained.counts)) * config.epochs,
                  "vocabulary": len(trained.words),
                  "neighbours": {{p: trained.neighbors(p, 5) for p in {probes!r} if p in trained.index()}}}}, ensure_ascii=False))
"""


def tagged(source: corpus.Corpus, name: str) -> corpus.Corpus:
    """``source`` tagged with Okt by the tutorial's rule, as a tagged library corpus."""
    path = Path(os.environ["NAMUWEB_HOME"]) / f"tagged-{source.id}.txt"
    with path.open("w", encoding="utf-8") as out:
        for line in source.read_text().splitlines():
            for sentence in analyzers.tag_line(line, "okt"):
                out.write(sentence + "\n")
    return corpus.add_file(path, name, source="tagged", parent=source.id)


def tagged_with_kiwi(path: Path, max_mb: float) -> corpus.Corpus:
    """The first ``max_mb`` megabytes of a plain text (whole lines), tagged with Kiwi by ``analyzers.tag_corpus``
    (one sentence per line, the tutorial's rule), as a tagged library corpus."""
    home = Path(os.environ["NAMUWEB_HOME"])
    part = home / f"plain-{path.stem}.txt"
    with path.open("rb") as source, part.open("wb") as out:
        out.writelines(source.readlines(int(max_mb * 2**20)))
    output = home / f"kiwi-{path.stem}.txt"
    started = time.perf_counter()
    stats = analyzers.tag_corpus(part, output, "kiwi", resume=False)
    print(f"tagged {part.stat().st_size / 2**20:.1f} MB of {path.name} with Kiwi in {time.perf_counter() - started:.1f} s: "
          f"{stats['sentences']:,} sentences, {stats['tokens']:,} tokens")
    return corpus.add_file(output, f"{path.stem[:20]} (Kiwi)", source="tagged")


def sentences_of(source: corpus.Corpus, drop_tags) -> list[list[str]]:
    """The corpus's sentences as training reads them, less the tokens whose tags training leaves out."""
    drop = set(drop_tags)
    lines = (line.split() for line in source.read_text().splitlines())
    return [tokens for tokens in ([t for t in line if vectors.split_tag(t)[1] not in drop] for line in lines) if tokens]


def content_share(embeddings: vectors.Embeddings, top: int = 100, k: int = 10, content_only: bool = False) -> float:
    """The share of content words among the ``k`` nearest neighbours (unfiltered, or as the Neighbours tab's
    default filter shows them) of the ``top`` most frequent content words."""
    tags = embeddings.tags()
    ids = [i for i in embeddings._by_frequency() if is_content(tags[i])][:top]
    found = [vectors.split_tag(word)[1] for i in ids
             for word, _ in embeddings.neighbors(embeddings.words[i], k, content_only=content_only)]
    return sum(map(is_content, found)) / max(len(found), 1)


def korean_pairs(embeddings: vectors.Embeddings) -> evaluation.PairScores:
    return evaluation.evaluate_word_pairs(embeddings, evaluation.korean_word_pairs().decode("utf-8").splitlines())


def train_namuweb(corpus_id: str, settings: dict, out: Path) -> dict:
    code = CHILD.format(root=str(ROOT), corpus=corpus_id, settings=settings, epochs=settings.get("epochs", 5),
                        out=str(out), probes=PROBES)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(name: str, neighbours: dict) -> None:
    print(f"\ntop 5 neighbours, {name}")
    for probe, found in neighbours.items():
        print(f"  {probe:12s} " + ", ".join(f"{w} {s:.2f}" for w, s in found))


def gensim_vectors(sentences: list[list[str]], epochs: int, seed: int):
    """gensim's Word2Vec with namuweb's default settings, and its whole call's seconds."""
    from gensim.models import Word2Vec
    mine = skipgram.SkipGramConfig(corpus="-")
    clock = time.perf_counter()
    model = Word2Vec(sentences, sg=1, negative=mine.negatives, window=mine.window, vector_size=mine.dimensions,
                     min_count=mine.min_count, epochs=epochs, workers=2, seed=seed, sample=mine.subsample)
    return model.wv, time.perf_counter() - clock


def as_embeddings(wv) -> vectors.Embeddings:
    return vectors.Embeddings(list(wv.index_to_key), [int(wv.get_vecattr(w, "count")) for w in wv.index_to_key],
                              wv.vectors.astype("float32"))


def agreement(source: corpus.Corpus, settings: dict, top: int = 100, k: int = 10) -> dict:
    """Overlap@k of the ``top`` most frequent words: namuweb~gensim (namuweb with seeds 1 and 2 against
    gensim with seeds 1 and 2, the mean of the four) and gensim~gensim (seed 1 against seed 2)."""
    sentences = sentences_of(source, settings.get("drop_tags", skipgram.SkipGramConfig(corpus="-").drop_tags))
    ours = []
    for seed in (1, 2):
        out = Path(os.environ["NAMUWEB_HOME"]) / f"agree-{source.id}-{seed}"
        train_namuweb(source.id, {**settings, "seed": seed}, out)
        ours.append(vectors.Embeddings.load(out))
    theirs = [as_embeddings(gensim_vectors(sentences, 5, seed)[0]) for seed in (1, 2)]
    known = [embeddings.index() for embeddings in (*ours, theirs[1])]
    words = [w for w in theirs[0].words if all(w in index for index in known)][:top]
    with_gensim = statistics.mean(vectors.neighbour_overlap(a, b, words, k) for a in ours for b in theirs)
    baseline = vectors.neighbour_overlap(theirs[0], theirs[1], words, k)
    pairs = [korean_pairs(e) for e in (*ours, *theirs)]
    return {"corpus": source.name, "tokens": sum(map(len, sentences)), "words": len(words), "ours": with_gensim,
            "baseline": baseline, "ratio": with_gensim / baseline,
            "content": statistics.mean(map(content_share, ours)), "gensim content": statistics.mean(map(content_share, theirs)),
            "filtered": statistics.mean(content_share(e, content_only=True) for e in ours),
            "pairs": statistics.mean(p.spearman for p in pairs[:2]), "gensim pairs": statistics.mean(p.spearman for p in pairs[2:]),
            "scored": pairs[0].scored, "in file": pairs[0].read}


def setting(text: str) -> tuple[str, object]:
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def correlation(value: float, scored: int) -> str:
    """A Spearman correlation as printed; over fewer than 3 pairs there is none to speak of."""
    return f"{value:.3f}" if scored >= 3 else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="for the words/s rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--text", action="append", default=[], help="another plain Korean text for the agreement")
    parser.add_argument("--set", action="append", default=[], type=setting, help="a namuweb setting NAME=VALUE")
    parser.add_argument("--kiwi-text", action="append", default=[], help="a plain Korean text to tag with Kiwi "
                        "for the agreement and content-word rows (the movie reviews, the novels)")
    parser.add_argument("--max-mb", type=float, default=3.0, help="of each --kiwi-text, the first megabytes")
    args = parser.parse_args()
    overrides = dict(args.set)
    mine = skipgram.SkipGramConfig(corpus="-")
    print(f"namuweb's defaults: window {mine.window}, min_count {mine.min_count}, subsample {mine.subsample:g}, "
          f"negatives {mine.negatives}, epochs {mine.epochs}, dimensions {mine.dimensions}, "
          f"left out: {', '.join(mine.drop_tags) or 'nothing'}")
    print("word2vec's and gensim's: " + ", ".join(f"{name} {value:g}" for name, value in WORD2VEC_DEFAULTS.items())
          + " (gensim below trains with namuweb's defaults, as the agreement needs)")
    started = time.perf_counter()
    builtin = tagged(corpus.ensure_builtin(), "builtin (Okt)")
    sentences = [line.split() for line in builtin.read_text().splitlines() if line.strip()]
    print(f"tagged the built-in corpus with Okt in {time.perf_counter() - started:.1f} s: "
          f"{len(sentences):,} sentences, {sum(map(len, sentences)):,} tokens")
    if overrides:
        print(f"namuweb settings changed from the defaults: {overrides}")

    defaults = skipgram.SkipGramConfig(corpus=builtin.id)
    shared = overrides.get("shared_negatives", defaults.shared_negatives) or 32
    sides = {"shared": {**overrides, "epochs": args.epochs, "shared_negatives": shared},
             "per pair": {**overrides, "epochs": args.epochs, "shared_negatives": 0}}
    seconds: dict[str, list[float]] = {"shared": [], "per pair": [], "gensim": []}
    found: dict[str, dict] = {}
    for round_ in range(args.rounds):  # alternating, so a noisy neighbour slows all alike
        for name, settings in (sides.items() if round_ % 2 == 0 else reversed(sides.items())):
            out = Path(os.environ["NAMUWEB_HOME"]) / f"skipgram-{round_}-{settings['shared_negatives']}"
            found[name] = train_namuweb(builtin.id, settings, out)
            seconds[name].append(found[name]["seconds"])
        theirs, took = gensim_vectors(sentences, args.epochs, seed=0)
        seconds["gensim"].append(took)
        assert len(theirs) == found["shared"]["vocabulary"]
    median = {name: statistics.median(times) for name, times in seconds.items()}
    words = found["shared"]["words"]

    print(f"vocabulary {found['shared']['vocabulary']:,} words, {words:,} words trained ({args.epochs} epochs), "
          f"median of {args.rounds} rounds")
    for name, label in (("shared", f"namuweb ({shared} negatives shared per step)"),
                        ("per pair", "namuweb (5 negatives per pair)"), ("gensim", "gensim")):
        print(f"{label:40s} {words / median[name]:10,.0f} words/s  ({median[name]:.3f} s; "
              + ", ".join(f"{s:.3f}" for s in seconds[name]) + ")")
    ratio = median["gensim"] / median["shared"]
    print(f"ratio    {ratio:.2f}x gensim (goal >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'}); "
          f"with negatives per pair {median['gensim'] / median['per pair']:.2f}x")
    show("namuweb, shared negatives", found["shared"]["neighbours"])
    show("namuweb, negatives per pair", found["per pair"]["neighbours"])
    show("gensim", {p: theirs.most_similar(p, topn=5) for p in PROBES})

    corpora = [builtin] + [tagged(corpus.add_text_file(Path(text), Path(text).name), f"{Path(text).name} (Okt)")
                           for text in args.text]
    corpora += [tagged_with_kiwi(Path(text), args.max_mb) for text in args.kiwi_text]
    rows = [agreement(source, overrides) for source in corpora]
    print("\nagreement with word2vec at namuweb's defaults: overlap@10 of the 100 most frequent words' neighbours")
    print(f"{'corpus':28s} {'tokens':>9s} {'namuweb~gensim':>15s} {'gensim~gensim':>14s} {'ratio':>6s}")
    for row in rows:
        print(f"{row['corpus'][:28]:28s} {row['tokens']:9,d} {row['ours']:15.3f} {row['baseline']:14.3f} "
              f"{row['ratio']:6.2f}  (goal >= 0.9: {'met' if row['ratio'] >= 0.9 else 'NOT met'})")
    print("\ncontent words among the 10 nearest neighbours of the 100 most frequent content words: unfiltered"
          " (namuweb, gensim) and as the Neighbours tab shows them by default (filtered);"
          " Spearman with the built-in Korean word pairs")
    print(f"{'corpus':28s} {'namuweb':>8s} {'gensim':>7s} {'filtered':>9s} {'pairs: namuweb':>15s} {'gensim':>7s} "
          f"{'scored':>7s}")
    for row in rows:
        print(f"{row['corpus'][:28]:28s} {row['content']:8.3f} {row['gensim content']:7.3f} {row['filtered']:9.3f} "
              f"{correlation(row['pairs'], row['scored']):>15s} "
              f"{correlation(row['gensim pairs'], row['scored']):>7s} {row['scored']:3d}/{row['in file']:<3d} "
              f"(content goal >= 0.9: {'met' if row['content'] >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
