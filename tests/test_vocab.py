import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namuweb.text import vocab as vocab_module
from namuweb.text.hangul import MARK, decompose
from namuweb.text.vocab import (UNK, UnknownTokensError, Vocabulary, category, count_characters, describe,
                                iter_text, jamo_counts, load_vocab)
from namuweb.text.vocab_report import report

TEXT = "한국에서는 ㅋㅋ 값이 1,000원.\n나무위키 말뭉치를 만들어보자\t"


def test_vocabulary_is_sorted_set_of_the_jamo_stream_like_the_tutorial():
    stream = decompose(TEXT)
    v = report(TEXT).vocab
    assert v.chars == sorted(set(stream))
    assert dict(zip(v.chars, v.counts)) == Counter(stream)
    assert v.index() == dict(zip(sorted(set(stream)), range(len(set(stream)))))


def test_char_tokenizer_keeps_syllables():
    v = report(TEXT, jamo=False).vocab
    assert v.chars == sorted(set(TEXT))
    assert v.tokenizer == "char"


def test_encode_matches_tutorial_mapping_and_decodes_back():
    stream = decompose(TEXT)
    v = report(TEXT).vocab
    lookup = v.index()
    expected = np.array(list(map(lookup.get, stream)))
    ids = v.encode(stream)
    assert ids.dtype == np.uint8
    np.testing.assert_array_equal(ids, expected)
    assert v.decode(ids) == stream


def test_encode_across_slice_boundaries(monkeypatch):
    monkeypatch.setattr(vocab_module, "ENCODE_SLICE", 7)
    stream = decompose(TEXT * 3)
    v = report(TEXT).vocab
    assert v.decode(v.encode(stream)) == stream


def test_wide_vocabulary_uses_wider_ids():
    text = "".join(chr(0x4E00 + i) for i in range(300))
    v = report(text, jamo=False).vocab
    assert v.dtype == np.uint16
    assert v.decode(v.encode(text)) == text


def test_unknown_characters_are_named():
    v = report("가나").vocab
    with pytest.raises(UnknownTokensError) as caught:
        v.encode("ㄱㅏᴥ😀\n")
    assert caught.value.missing == ["\n", "😀"]
    assert "LINE FEED" in str(caught.value) and "😀" in str(caught.value)


def test_min_count_folds_rare_tokens_into_unk_after_the_sorted_ids():
    text = "가가가가 나"
    full = report(text).vocab
    folded = report(text, min_count=2).vocab
    assert folded.unk == UNK and folded.chars[-1] == UNK
    assert folded.counts[-1] == sum(n for c, n in zip(full.chars, full.counts) if n < 2)
    kept = [c for c, n in zip(full.chars, full.counts) if n >= 2]
    assert folded.chars[:-1] == kept
    assert folded.total == full.total
    ids = folded.encode(decompose("나"))
    assert (ids == folded.unk_id).sum() == 1  # ㄴ is rare; ㅏ and ᴥ are not


def test_decode_shows_unk_as_replacement_character():
    folded = report("가가 나", min_count=2).vocab
    assert folded.decode(folded.encode("ㄴ")) == "\ufffd"


def test_save_and_load_round_trip(tmp_path):
    v = report(TEXT, min_count=2).vocab
    path = v.save(tmp_path / "sub" / "vocab.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "namuweb-vocab" and data["chars"] == v.chars
    again = load_vocab(path)
    assert (again.chars, again.counts, again.unk) == (v.chars, v.counts, v.unk)


def test_load_rejects_corrupt_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "namuweb-vocab", "chars": ["a", "a"], "counts": [1, 2]}))
    with pytest.raises(ValueError):
        load_vocab(path)
    path.write_text(json.dumps({"chars": []}))
    with pytest.raises(ValueError):
        load_vocab(path)


def test_streaming_a_file_splits_multibyte_characters_safely(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT * 50, encoding="utf-8")
    seen = []
    chunks = list(iter_text(path, chunk_chars=5, progress=lambda done, total: seen.append((done, total))))
    assert "".join(chunks) == TEXT * 50
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert count_characters(path) == Counter(TEXT * 50)


def test_path_and_text_give_the_same_vocabulary(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert report(path).vocab.chars == report(TEXT).vocab.chars


@settings(max_examples=100)
@given(st.text(alphabet=st.characters(blacklist_characters=MARK)))
def test_jamo_counts_equal_counting_the_stream(text):
    assert jamo_counts(Counter(text)) == Counter(decompose(text))


def test_literal_mark_in_corpus_counts_as_replacement():
    counts = jamo_counts(Counter("가ᴥ"))
    assert counts["\ufffd"] == 1 and counts[MARK] == 1


@pytest.mark.parametrize("char, expected", [
    ("ㄱ", "consonant (initial or final)"), ("ㄸ", "consonant (initial only)"),
    ("ㄳ", "consonant (final only)"), ("ㅘ", "vowel"), (MARK, "ᴥ end of syllable"),
    ("a", "Latin"), ("7", "digit"), (".", "punctuation"), ("\n", "whitespace"), ("\xa0", "whitespace"),
    ("😀", "other"), ("한", "Hangul syllable"), (UNK, "unknown"),
])
def test_categories(char, expected):
    assert category(char) == expected


def test_invisible_characters_are_described_by_code_point_and_name():
    assert describe("\n") == "U+000A LINE FEED (newline)"
    assert describe("\t").startswith("U+0009")
    assert describe("\xa0") == "U+00A0 NO-BREAK SPACE"
    assert describe("ㄱ") == "ㄱ"


def test_report_figures_and_coverage():
    r = report(TEXT)
    figures = r.figures()
    assert figures["characters"] == len(TEXT)
    assert figures["jamo tokens"] == len(decompose(TEXT))
    assert figures["vocabulary size"] == len(set(decompose(TEXT)))
    hangul_chars = sum(1 for c in TEXT if "가" <= c <= "힣" or "ㄱ" <= c <= "ㅣ")
    assert figures["Hangul share"] == pytest.approx(hangul_chars / len(TEXT))
    cover = r.tokens_to_cover()
    counts = sorted(r.vocab.counts, reverse=True)
    for level, n in cover.items():
        assert sum(counts[:n]) / sum(counts) >= level > sum(counts[:n - 1]) / sum(counts)
    table = r.table()
    assert list(table["id"]) == list(range(r.vocab.size))
    assert table["share"].sum() == pytest.approx(1.0)
    assert r.by_category()["count"].sum() == r.tokens


def test_report_min_count_changes_only_the_vocabulary():
    r = report(TEXT)
    folded = r.with_min_count(3)
    assert folded.tokens == r.tokens and folded.vocab.size < r.vocab.size
    assert folded.vocab.unk == UNK


def test_builtin_corpus_matches_reference_figures():
    from namuweb.corpora.corpus import ensure_builtin
    figures = report(ensure_builtin()).figures()
    assert (figures["characters"], figures["jamo tokens"], figures["vocabulary size"]) == (65209, 154939, 156)


def test_vocabulary_dataclass_rejects_nothing_silently():
    v = Vocabulary(chars=["a", "b"], counts=[1, 1])
    assert v.unk_id is None and v.size == 2
