"""The Evaluate tab's analogy and word-pair files at the page's size limit: the old per-question loop
against the blocked matrix products of ``namuweb.embeddings.evaluation``, in the same run.

    python bench/evaluation.py [--words 18443] [--dims 100] [--questions 190000] [--reference 10000]
                               [--vectors EMBEDDINGS_FOLDER]

An analogy file just under the upload limit (5 MB: 190,000 questions in word2vec's format) on an
18,443-word embedding took minutes of the server's CPU with one nearest-word search per question
(issue 31).  The vectors are random ones with the frequency order and clusters of a real model
(or a trained embeddings folder with ``--vectors``), a quarter of the questions planted so that
the accuracy is not zero, a few out of vocabulary.  The old loop (kept here as the reference, not
in the package) answers the first ``--reference`` questions, and its time for the whole file is
that rate times the file (``--reference 0`` runs it on the whole file: minutes); both must give
the same answers on the questions both answered.  Word pairs: the same comparison for a file of
``--questions`` pairs.  Seconds are CPU seconds of this process (the BLAS threads counted), and wall.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from namuweb.embeddings import evaluation, evaluator  # noqa: E402
from namuweb.embeddings.vectors import Embeddings  # noqa: E402


def reference_analogies(embeddings: Embeddings, lines: list[str]) -> list[bool | None]:
    """The evaluation as it was: one gensim-style ``most_similar`` per question; None for a question
    out of vocabulary, else whether its nearest word (inputs excluded) is the expected one."""
    resolve = evaluation._resolver(embeddings)
    answers: list[bool | None] = []
    for line in lines:
        words = line.split()
        if len(words) != 4:
            continue
        tokens = [resolve(w) for w in words]
        if None in tokens:
            answers.append(None)
            continue
        a, b, c, expected = tokens
        found = embeddings.analogy([b, c], [a], k=5)
        answers.append(bool(found) and found[0][0] == expected)
    return answers


def reference_pairs(embeddings: Embeddings, lines: list[str]) -> tuple[float, float, list[float]]:
    """The word-pair evaluation as it was (Pearson, Spearman and the cosines), one dot product per pair."""
    resolve, unit, index = evaluation._resolver(embeddings), embeddings.unit_vectors(), embeddings.index()
    pairs = []
    for line in lines:
        a, b, gold = line.split("\t")
        first, second = resolve(a.strip()), resolve(b.strip())
        if first is not None and second is not None:
            pairs.append((first, second, float(gold), float(unit[index[first]] @ unit[index[second]])))
    gold = np.array([p[2] for p in pairs], dtype=float)
    model = np.array([p[3] for p in pairs], dtype=float)
    return (evaluation._pearson(gold, model), evaluation._pearson(evaluation._ranks(gold), evaluation._ranks(model)),
            model.tolist())


def hangul_word(number: int) -> str:
    """A distinct word of one or two syllables for each number, as short as Korean words are (so a file of
    190,000 questions is under the page's 5 MB, as the issue's was)."""
    syllables = 11_172
    if number < syllables:
        return chr(0xAC00 + number)
    number -= syllables
    return chr(0xAC00 + number // syllables) + chr(0xAC00 + number % syllables)


def model_like(words: int, dims: int) -> Embeddings:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(200, dims))
    vectors = centres[rng.integers(0, 200, words)] + 0.7 * rng.normal(size=(words, dims))
    return Embeddings([f"{hangul_word(i)}/Noun" for i in range(words)], list(range(words, 0, -1)),
                      vectors.astype(np.float32))


def analogy_file(embeddings: Embeddings, questions: int) -> list[str]:
    """Sections of 5,000 questions over the 30,000 most frequent words, as bare words: every fourth one
    planted (its d is the word nearest to b − a + c, found here by one product per block), the rest
    random, one in a hundred out of vocabulary."""
    rng = np.random.default_rng(1)
    vocabulary = min(len(embeddings.words), 30_000)
    ids = rng.integers(0, vocabulary, size=(questions, 4))
    unit = embeddings.unit_vectors()
    planted = np.arange(0, questions, 4)
    for start in range(0, len(planted), 1000):
        rows = planted[start:start + 1000]
        a, b, c = ids[rows, 0], ids[rows, 1], ids[rows, 2]
        scores = (unit[b] + unit[c] - unit[a]) @ unit.T
        for column in (a, b, c):
            scores[np.arange(len(rows)), column] = -np.inf
        ids[rows, 3] = scores.argmax(axis=1)
    bare = [w.rpartition("/")[0] or w for w in embeddings.words]
    lines = []
    for number, row in enumerate(ids):
        if number % 5000 == 0:
            lines.append(f": section-{number // 5000 + 1}")
        words = [bare[i] for i in row]
        if number % 100 == 1:
            words[3] = "없는말"
        lines.append(" ".join(words))
    return lines


def pair_file(embeddings: Embeddings, pairs: int) -> list[str]:
    rng = np.random.default_rng(2)
    words = [w.rpartition("/")[0] or w for w in embeddings.words]
    return [f"{words[i]}\t{words[j] if k % 100 else '없는말'}\t{s:.2f}"
            for k, (i, j, s) in enumerate(zip(rng.integers(0, len(words), pairs), rng.integers(0, len(words), pairs),
                                               rng.uniform(0, 10, pairs)))]


def timed(run):
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=18_443)
    parser.add_argument("--dims", type=int, default=100)
    parser.add_argument("--questions", type=int, default=190_000)
    parser.add_argument("--reference", type=int, default=10_000,
                        help="questions the old loop answers (its whole-file time is extrapolated); 0: all")
    parser.add_argument("--vectors", type=Path, help="an embeddings folder (vectors.npy + vocab.json) instead")
    args = parser.parse_args()
    if args.vectors:
        embeddings = Embeddings.load(args.vectors)
    else:
        embeddings = model_like(args.words, args.dims)
    lines = analogy_file(embeddings, args.questions)
    text = "\n".join(lines) + "\n"
    words, dims = embeddings.vectors.shape
    print(f"{words:,} words x {dims} dimensions; {args.questions:,} analogy questions "
          f"({len(text.encode()) / 2**20:.2f} MB); {os.cpu_count()} CPUs; "
          f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}")

    scores, new_wall, new_cpu = timed(lambda: evaluation.evaluate_word_analogies(embeddings, text.splitlines()))
    questions = [line for line in lines if not line.startswith(":")]
    sample = questions if args.reference <= 0 else questions[:args.reference]
    old, old_wall, old_cpu = timed(lambda: reference_analogies(embeddings, sample))
    scale = len(questions) / len(sample)
    # the new evaluation on the same questions, for the comparison of answers
    same = evaluation.evaluate_word_analogies(embeddings, [": all"] + sample)
    old_right = sum(1 for a in old if a)
    agree = (same.total.correct == old_right and same.total.unknown == sum(1 for a in old if a is None))
    print(f"analogies  new: {new_wall:7.2f} s wall {new_cpu:7.2f} s CPU  accuracy {scores.total.accuracy:.3f}, "
          f"{scores.total.unknown:,} out of vocabulary")
    print(f"analogies  old: {old_wall * scale:7.2f} s wall {old_cpu * scale:7.2f} s CPU"
          + (f"  (measured on the first {len(sample):,} questions: {old_wall:.2f} s wall, {old_cpu:.2f} s CPU)"
             if scale > 1 else ""))
    print(f"analogies  old/new: {old_wall * scale / new_wall:,.0f}x wall, {old_cpu * scale / new_cpu:,.0f}x CPU; "
          f"same answers on the {len(sample):,} questions both answered: {'yes' if agree else 'NO'} "
          f"(old {old_right:,} right, new {same.total.correct:,})")

    with tempfile.TemporaryDirectory() as folder:  # as the page asks: in a worker process, then from the cache
        embeddings.save(Path(folder))
        data = text.encode("utf-8")
        if len(data) > evaluator.FILE_LIMIT_BYTES:
            print(f"through the worker: skipped, the file is over the page's {evaluator.FILE_LIMIT_BYTES // 2**20} MB")
        else:
            evaluator.evaluate("pairs", Path(folder), b"x\ty\t1\n")  # a started worker, as a warm server has
            result, wall, cpu = timed(lambda: evaluator.evaluate("analogies", Path(folder), data))
            again, again_wall, again_cpu = timed(lambda: evaluator.evaluate("analogies", Path(folder), data))
            print(f"through the worker (as the page, time limit {evaluator.time_limit():g} s): {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU in this process (the server's); "
                  f"{'stopped by the time limit' if result.stopped_by_time_limit else 'all answered'}, same accuracy: "
                  f"{'yes' if result.scores.total.correct == scores.total.correct else 'NO'}; again: "
                  f"{again_wall * 1000:.1f} ms wall ({'from the cache' if again.cached else 'RECOMPUTED'})")
        evaluator.stop_workers()

    pairs = pair_file(embeddings, args.questions)
    pair_scores, new_wall, new_cpu = timed(lambda: evaluation.evaluate_word_pairs(embeddings, pairs))
    (pearson, spearman, cosines), old_wall, old_cpu = timed(lambda: reference_pairs(embeddings, pairs))
    agree = (np.allclose([p[3] for p in pair_scores.pairs], cosines, atol=1e-5)
             and np.isclose(pair_scores.pearson, pearson) and np.isclose(pair_scores.spearman, spearman))
    print(f"word pairs new: {new_wall:7.2f} s wall {new_cpu:7.2f} s CPU  ({pair_scores.scored:,} of {len(pairs):,} "
          f"scored); old: {old_wall:.2f} s wall {old_cpu:.2f} s CPU; old/new {old_cpu / new_cpu:.1f}x CPU; "
          f"same figures: {'yes' if agree else 'NO'}")


if __name__ == "__main__":
    main()
