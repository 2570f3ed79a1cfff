"""Evaluation figures against gensim's own on the same vectors (gensim is a test dependency)."""

import numpy as np
import pytest

from namuweb.embeddings import evaluation
from namuweb.embeddings.vectors import Embeddings


@pytest.fixture(scope="module")
def same_vectors():
    """Our Embeddings and gensim's KeyedVectors holding the same 300 random vectors (some analogies planted)."""
    from gensim.models import KeyedVectors
    rng = np.random.default_rng(3)
    words = [f"단어{i}/Noun" for i in range(300)]
    vectors = rng.normal(size=(300, 20)).astype(np.float32)
    for i in range(0, 60, 4):  # plant a : b = c : d, d = b − a + c (plus a little noise)
        vectors[i + 3] = vectors[i + 1] - vectors[i] + vectors[i + 2] + 0.05 * rng.normal(size=20)
    ours = Embeddings(words, list(range(300, 0, -1)), vectors)
    theirs = KeyedVectors(20)
    theirs.add_vectors(words, vectors)
    return ours, theirs, words


def test_word_pairs_match_gensims_correlations_and_oov(same_vectors, tmp_path):
    ours, theirs, words = same_vectors
    rng = np.random.default_rng(0)
    lines = ["# a comment", "not a pair line"]
    for _ in range(80):
        a, b = rng.choice(words, 2, replace=False)
        lines.append(f"{a}\t{b}\t{rng.integers(0, 5)}")  # integer scores: ties, which Spearman averages
    lines += ["없는말/Noun\t단어1/Noun\t3.0", "단어2/Noun\t모름/Noun\t1.5"]
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pearson, spearman, oov = theirs.evaluate_word_pairs(str(path))
    scores = evaluation.evaluate_word_pairs(ours, lines)
    assert scores.pearson == pytest.approx(pearson[0], abs=1e-5)
    assert scores.spearman == pytest.approx(spearman[0], abs=1e-5)
    assert scores.oov_ratio == pytest.approx(oov) and len(scores.unknown) == 2 and scores.skipped_lines == 1


def test_bare_words_resolve_to_their_tagged_token(same_vectors):
    ours, _, _ = same_vectors
    tagged = evaluation.evaluate_word_pairs(ours, ["단어1/Noun\t단어2/Noun\t3", "단어3/Noun\t단어4/Noun\t1"])
    bare = evaluation.evaluate_word_pairs(ours, ["단어1\t단어2\t3", "단어3\t단어4\t1"])
    assert [p[3] for p in bare.pairs] == [p[3] for p in tagged.pairs] and bare.unknown == []


def test_analogies_match_gensims_accuracy_by_section(same_vectors, tmp_path):
    ours, theirs, words = same_vectors
    rng = np.random.default_rng(1)
    lines = [": planted"] + [" ".join(words[i:i + 4]) for i in range(0, 60, 4)]
    lines += [": random"] + [" ".join(rng.choice(words, 4, replace=False)) for _ in range(20)]
    lines += ["단어1/Noun 단어2/Noun 단어3/Noun 없는말/Noun", "too few words"]
    path = tmp_path / "questions-words.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    score, sections = theirs.evaluate_word_analogies(str(path))
    ours_scores = evaluation.evaluate_word_analogies(ours, lines)
    assert [s.section for s in ours_scores.sections] == [s["section"] for s in sections[:-1]] == ["planted", "random"]
    for mine, gensims in zip(ours_scores.sections, sections):
        assert len(mine.correct) == len(gensims["correct"]) and len(mine.incorrect) == len(gensims["incorrect"])
    assert ours_scores.sections[0].accuracy == 1.0  # the planted ones are found
    assert len(ours_scores.total.correct) / (len(ours_scores.total.correct) + len(ours_scores.total.incorrect)) \
        == pytest.approx(score)
    assert ours_scores.total.unknown == 1 and ours_scores.skipped_lines == 1
    with pytest.raises(evaluation.AnalogyFileError, match="before any ': section' header"):
        evaluation.evaluate_word_analogies(ours, ["a b c d"])


def test_the_odd_one_out_matches_gensim(same_vectors):
    ours, theirs, words = same_vectors
    rng = np.random.default_rng(2)
    for _ in range(20):
        group = list(rng.choice(words, 5, replace=False))
        assert evaluation.doesnt_match(ours, group)[0] == theirs.doesnt_match(group)
    assert evaluation.doesnt_match(ours, ["단어1", "단어2/Noun", "없는말", "단어3"])[1] == ["없는말"]
    with pytest.raises(ValueError, match="none of these words"):
        evaluation.doesnt_match(ours, ["없는말"])
