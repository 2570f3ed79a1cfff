"""The jamo stream's syllable grammar: what the codec writes is always allowed, and whatever the grammar
allows composes into whole syllables, with no loose jamo."""

import numpy as np
from hypothesis import given, settings, strategies as st

from namuweb.text import hangul
from namuweb.text.syllable_grammar import (AFTER_FINAL, AFTER_INITIAL, AFTER_VOWEL, BETWEEN, Grammar, is_jamo,
                                           next_state, state_after)

INITIALS, VOWELS, FINALS = (sorted(c) for c in hangul.jamo_classes())
# A vocabulary as a corpus gives one: jamo, the mark, space, punctuation, a digit, Latin, <unk> at 0.
TOKENS = ["<unk>", *sorted(set(INITIALS) | set(VOWELS) | set(FINALS)), hangul.MARK, " ", "\n", ".", ",", "3", "A"]
LOOSE = {chr(c) for c in range(0x3131, 0x318F)}


def test_the_codecs_own_streams_are_well_formed():
    for text in ("한국에서는 나무위키 말뭉치를 만들어보자.", "닭 값 없다", "읽었다 3.5 퀼트"):
        state = BETWEEN
        for token in hangul.decompose(text):
            state = next_state(state, token)
            assert state is not None, (text, token)
        assert state == BETWEEN


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("가각갃깨꽑뷁흐 .,A3\n"), max_size=40))
def test_every_syllable_the_codec_writes_walks_the_grammar_back_to_between(text):
    assert state_after(hangul.decompose(text)) == BETWEEN
    assert all(next_state(s, t) is not None for s, t in _walk(hangul.decompose(text)))


def _walk(stream):
    state = BETWEEN
    for token in stream:
        yield state, token
        state = next_state(state, token)


def test_loose_jamo_are_refused_where_they_would_be_loose():
    assert next_state(BETWEEN, "ㅏ") is None            # a vowel with no initial
    assert next_state(BETWEEN, "ㄳ") is None            # a final-only jamo cannot start a syllable
    assert next_state(BETWEEN, hangul.MARK) is None     # a mark closing nothing
    assert next_state(AFTER_INITIAL, "ㄱ") is None      # two initials
    assert next_state(AFTER_INITIAL, " ") is None       # a syllable cut off by a space
    assert next_state(AFTER_VOWEL, "ㄸ") is None        # ㄸ never ends a syllable
    assert next_state(AFTER_VOWEL, "ㅏ") is None        # a vowel after a vowel
    assert next_state(AFTER_FINAL, "ㄱ") is None        # only the mark after a final
    assert (next_state(AFTER_VOWEL, "ㄳ"), next_state(AFTER_VOWEL, hangul.MARK)) == (AFTER_FINAL, BETWEEN)
    assert not is_jamo("A") and is_jamo(hangul.MARK) and is_jamo("ㅘ")


def test_a_start_text_that_breaks_the_grammar_starts_it_over():
    assert state_after("ㅋㅋ") == BETWEEN            # ㅋ opens a syllable, ㅋ breaks it: start over after it
    assert state_after("ㅋㅋㅋ") == AFTER_INITIAL
    assert state_after(hangul.decompose("한") + "ㄱ") == AFTER_INITIAL
    assert state_after(hangul.decompose("한")[:-1]) == AFTER_FINAL


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_any_walk_the_mask_allows_composes_into_whole_syllables(seed):
    """Random logits, masked and drawn from, 300 steps: the composed text holds no loose jamo."""
    rng = np.random.default_rng(seed)
    grammar = Grammar.of(TOKENS, never=[0])
    states = np.full(3, BETWEEN, dtype=np.int8)
    drawn = [[] for _ in range(3)]
    for _ in range(300):
        logits = grammar.mask(rng.normal(size=(3, len(TOKENS))) * 3, states)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        ids = np.array([rng.choice(len(TOKENS), p=p) for p in probs])
        assert (ids != 0).all(), "<unk> is never drawn"
        states = grammar.advance(states, ids)
        for row, token_id in enumerate(ids):
            drawn[row].append(TOKENS[token_id])
    for row, state in zip(drawn, states):
        stream = "".join(row)
        if state != BETWEEN:  # the last syllable may still be open; close it as the sampler's end does
            stream = stream[:len(stream) - [BETWEEN, AFTER_INITIAL, AFTER_VOWEL, AFTER_FINAL].index(state)]
        assert not set(hangul.compose(stream)) & LOOSE, stream


def test_a_state_with_nothing_allowed_in_this_vocabulary_leaves_the_logits_alone():
    grammar = Grammar.of(["ㄱ", " ", hangul.MARK])  # no vowel at all
    logits = np.array([[1.0, 2.0, 3.0]])
    assert np.array_equal(grammar.mask(logits, np.array([AFTER_INITIAL])), logits)
    assert np.isneginf(grammar.mask(logits, np.array([BETWEEN]))[0, 2])  # the mark closes nothing here
