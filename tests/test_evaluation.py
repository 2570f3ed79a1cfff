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
    assert scores.oov_ratio == pytest.approx(oov) and scores.unknown_count == 2 and scores.skipped_lines == 1


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
        assert mine.correct == len(gensims["correct"]) and mine.incorrect == len(gensims["incorrect"])
    assert ours_scores.sections[0].accuracy == 1.0  # the planted ones are found
    assert ours_scores.total.accuracy == pytest.approx(score)
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


def hand_built():
    """Eight words on a plane and a third axis, laid out so that 왕 − 남자 + 여자 lands on 여왕, 도쿄 − 일본 + 한국
    on 서울, and 사과 (apart on its own axis) answers nothing right; bare words resolve as in the explorer."""
    placed = {
        "남자/Noun": (1.0, 0.0, 0.1), "여자/Noun": (0.0, 1.0, 0.1),
        "왕/Noun": (1.0, 0.2, 0.9), "여왕/Noun": (0.2, 1.0, 0.9),
        "일본/Noun": (-1.0, 0.3, 0.0), "도쿄/Noun": (-1.0, 0.3, 0.8),
        "한국/Noun": (-0.3, -1.0, 0.0), "서울/Noun": (-0.3, -1.0, 0.8),
        "사과/Noun": (0.0, 0.0, -1.0),
    }
    return Embeddings(list(placed), list(range(len(placed), 0, -1)), np.array(list(placed.values()), dtype=np.float32))


def naive_analogies(embeddings: Embeddings, lines: list[str]) -> dict[str, tuple[int, int, int]]:
    """(correct, incorrect, out of vocabulary) per section, one nearest-word search per question."""
    counts, section = {}, None
    for line in lines:
        if line.startswith(":"):
            section = line[1:].strip()
            counts[section] = [0, 0, 0]
            continue
        words = line.split()
        try:
            a, b, c, d = (embeddings.find(w) for w in words)
        except KeyError:
            counts[section][2] += 1
            continue
        answers = embeddings.analogy([b, c], [a], k=1)
        counts[section][0 if answers and answers[0][0] == d else 1] += 1
    return {name: tuple(value) for name, value in counts.items()}


HAND_BUILT_QUESTIONS = [": 사람", "남자 왕 여자 여왕", "남자 여자 왕 여왕", "여자 여왕 남자 왕", "남자 왕 여자 사과",
                        ": 나라", "일본 도쿄 한국 서울", "한국 서울 일본 도쿄", "일본 도쿄 한국 사과", "일본 도쿄 미국 워싱턴",
                        "사과 사과 사과 사과"]


def test_blocked_analogies_answer_as_one_search_per_question_does():
    vectors = hand_built()
    scores = evaluation.evaluate_word_analogies(vectors, HAND_BUILT_QUESTIONS)
    mine = {s.section: (s.correct, s.incorrect, s.unknown) for s in scores.sections}
    assert mine == naive_analogies(vectors, HAND_BUILT_QUESTIONS)
    assert mine == {"사람": (3, 1, 0), "나라": (2, 2, 1)}  # the layout's answers: only 사과 is never right
    assert scores.unknown == [("일본 도쿄 미국 워싱턴", ["미국", "워싱턴"])]  # named, with the words not found
    assert (scores.read, scores.in_file, scores.unscored) == (9, 9, 0)


def test_blocked_analogies_agree_with_the_naive_search_across_many_blocks(monkeypatch):
    """Random questions on random vectors, blocks of a few questions: the same answers, section by section."""
    monkeypatch.setattr(evaluation, "BLOCK_SCORES", 20 * 50)  # twenty questions per block on 50 words
    rng = np.random.default_rng(5)
    words = [f"낱말{i}/Noun" for i in range(50)]
    vectors = Embeddings(words, [1] * 50, rng.normal(size=(50, 6)).astype(np.float32))
    lines = []
    for section in range(3):
        lines.append(f": 묶음{section}")
        lines += [" ".join(f"낱말{i}" for i in rng.integers(0, 50, 4)) for _ in range(40)]
        lines.append("낱말1 낱말2 낱말3 모르는말")
    heard = []
    scores = evaluation.evaluate_word_analogies(vectors, lines, progress=lambda done, total: heard.append((done, total)))
    assert {s.section: (s.correct, s.incorrect, s.unknown) for s in scores.sections} == naive_analogies(vectors, lines)
    assert heard == [(done, 120) for done in range(20, 121, 20)]


def test_an_analogy_deadline_leaves_the_rest_unscored_with_the_accuracy_so_far(monkeypatch):
    monkeypatch.setattr(evaluation, "BLOCK_SCORES", 16 * 9)  # sixteen questions per block on nine words
    vectors = hand_built()
    lines = [": 사람"] + ["남자 왕 여자 여왕"] * 40
    scores = evaluation.evaluate_word_analogies(vectors, lines, deadline=0.0)  # passed before the first block ends
    assert scores.total.correct + scores.total.incorrect == 16 and scores.unscored == 24
    assert scores.total.accuracy == naive_analogies(vectors, lines[:17])["사람"][0] / 16


def test_a_cap_reads_only_the_first_questions_and_pairs_and_counts_the_rest():
    vectors = hand_built()
    scores = evaluation.evaluate_word_analogies(vectors, HAND_BUILT_QUESTIONS, max_questions=3)
    assert (scores.read, scores.in_file) == (3, 9)
    assert [(s.correct + s.incorrect + s.unknown) for s in scores.sections] == [3, 0]
    pairs = ["남자\t여자\t3", "왕\t여왕\t8", "한국\t서울\t7", "일본\t도쿄\t7"]
    capped = evaluation.evaluate_word_pairs(vectors, pairs, max_pairs=2)
    assert (capped.scored, capped.read, capped.in_file) == (2, 2, 4)


def test_pairs_out_of_vocabulary_are_named_with_the_words_not_found():
    vectors = hand_built()
    lines = ["남자\t여자\t3", "미국\t한국\t5", "한국\t서울\t7", "바다\t하늘\t1", "왕\t여왕\t8"]
    scores = evaluation.evaluate_word_pairs(vectors, lines)
    assert scores.unknown == [("미국", "한국", ["미국"]), ("바다", "하늘", ["바다", "하늘"])]
    assert scores.unknown_count == 2 and scores.scored == 3
    unit = vectors.unit_vectors()
    index = vectors.index()
    assert [p[3] for p in scores.pairs] == pytest.approx(
        [float(unit[index[a]] @ unit[index[b]]) for a, b in [("남자/Noun", "여자/Noun"), ("한국/Noun", "서울/Noun"),
                                                             ("왕/Noun", "여왕/Noun")]])
    sample = scores.sampled(2)
    assert len(sample.pairs) == 2 and sample.scored == 3 and sample.pearson == scores.pearson
