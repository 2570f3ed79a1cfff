import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namuweb.text.hangul import MARK, REPLACEMENT, MarkerInTextError, compose, decompose, jamo_classes

ALL_SYLLABLES = "".join(chr(c) for c in range(0xAC00, 0xD7A4))
COMPAT_JAMO = "".join(chr(c) for c in range(0x3131, 0x318F))
CONJOINING_JAMO = "".join(chr(c) for c in range(0x1100, 0x1200))
DOUBLE_FINALS = "ㄳㄵㄶㄺㄻㄼㄽㄾㄿㅀㅄ"

no_mark = st.text(alphabet=st.characters(blacklist_characters=MARK))
hangulish = st.text(alphabet=st.sampled_from(ALL_SYLLABLES[::97] + COMPAT_JAMO + CONJOINING_JAMO[:40]
                                             + "ab1 \n\t\x00😀.한국"))
any_stream = st.text(alphabet=st.sampled_from(COMPAT_JAMO + MARK + "가a \n"))


def test_tutorial_example():
    assert decompose("한국") == "ㅎㅏㄴᴥㄱㅜㄱᴥ"
    assert compose("ㅎㅏㄴᴥㄱㅜㄱᴥ") == "한국"


def test_every_syllable_round_trips_and_has_one_mark():
    stream = decompose(ALL_SYLLABLES)
    assert stream.count(MARK) == 11172
    assert compose(stream) == ALL_SYLLABLES


def test_double_final_is_one_token():
    assert decompose("삯") == "ㅅㅏㄳᴥ"
    assert decompose("값") == "ㄱㅏㅄᴥ"


@pytest.mark.parametrize("text", ["ㅋㅋ", "ㅋㅏ", "ㄱㅏ나", "ㅎㅏㄴ", DOUBLE_FINALS, "ㅋ한", "나ㄴ",
                                  COMPAT_JAMO, CONJOINING_JAMO, "\x00\x01\x7f", "😀한😀", "abc 123",
                                  "한", "한\u1161"])
def test_round_trip_of_tricky_text(text):
    assert compose(decompose(text)) == text


def test_standalone_jamo_pass_through_unchanged():
    assert decompose("ㅋㅋ ㄳ") == "ㅋㅋ ㄳ"


@settings(max_examples=300)
@given(no_mark)
def test_round_trip_any_text_without_mark(text):
    assert compose(decompose(text)) == text


@settings(max_examples=300)
@given(hangulish)
def test_round_trip_hangul_heavy_text(text):
    assert compose(decompose(text)) == text


@settings(max_examples=300)
@given(any_stream)
def test_compose_is_total_and_drops_stray_marks(stream):
    out = compose(stream)
    assert isinstance(out, str)
    assert MARK not in out


@pytest.mark.parametrize("stream, expected", [
    ("ㅏㅏᴥ", "ㅏㅏ"), ("ᴥᴥ", ""), ("ㄸᴥ", "ㄸ"), ("ㄱㄴᴥ", "ㄱㄴ"), ("ㄴㅏㄸᴥ", "ㄴㅏㄸ"),
    ("ㄱㅏㅏᴥ", "ㄱㅏㅏ"), ("ㄳㅏᴥ", "ㄳㅏ"), ("ㅎㅏㄴᴥᴥㄱㅜㄱᴥ", "한국"), ("", ""),
])
def test_compose_malformed_model_output(stream, expected):
    assert compose(stream) == expected


def test_literal_mark_is_refused_by_default():
    with pytest.raises(MarkerInTextError, match="U\\+1D25"):
        decompose("가ᴥ")


def test_literal_mark_can_be_replaced_visibly():
    stream = decompose("가ᴥ", marker="replace")
    assert stream == "ㄱㅏᴥ" + REPLACEMENT
    assert compose(stream) == "가" + REPLACEMENT


def test_unknown_marker_policy_is_an_error():
    with pytest.raises(ValueError):
        decompose("ᴥ", marker="drop")


def test_jamo_classes_match_the_unicode_tables():
    initials, vowels, finals = jamo_classes()
    assert (len(initials), len(vowels), len(finals)) == (19, 21, 27)
    assert set(DOUBLE_FINALS) <= finals and not set(DOUBLE_FINALS) & initials
    assert {"ㄸ", "ㅃ", "ㅉ"} <= initials - finals
