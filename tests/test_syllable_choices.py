"""The next-syllable choices of a jamo model: well-formed syllables (and tokens that are no jamo), most likely
first, each with the product of its tokens' probabilities read step by step from the model itself."""

import numpy as np
import pytest

from namuweb.language_model import generate, sampling, syllable_choices
from namuweb.language_model.decoding import probabilities
from namuweb.language_model.generate import Generator, Weights, prepare_start
from namuweb.text import hangul, syllable_grammar
from namuweb.text.vocab_report import report as vocab_report
from test_pages import tiny_trained_run, trained_once  # noqa: F401

TEXT = "한국에서는 나무위키 말뭉치를 만들어보자. 가나다라 마바사, 읽고 쓰기.\n" * 3


def random_generator(seed: int = 0, units: int = 24, sharpness: float = 3.0, tokenizer_jamo: bool = True) -> Generator:
    """A model with random weights over our text's vocabulary: its odds are spread over every token, sharp
    enough (``sharpness``) that some syllables stand out."""
    vocab = vocab_report(TEXT, jamo=tokenizer_jamo).vocab
    rng = np.random.default_rng(seed)
    size, embedding = vocab.size, 8
    weights = Weights(embedding=rng.normal(size=(size, embedding)).astype(np.float32),
                      lstm=[(rng.normal(size=(embedding, 4 * units)).astype(np.float32),
                             rng.normal(scale=0.3, size=(units, 4 * units)).astype(np.float32),
                             np.zeros(4 * units, np.float32))],
                      dense=(rng.normal(scale=sharpness, size=(units, size)).astype(np.float32),
                             np.zeros(size, np.float32)))
    return Generator(weights, vocab)


def along(generator: Generator, start: str, after: list[str], tokens: str, temperature=1.0, top_k=0, top_p=1.0):
    """A choice's probability computed directly: a fresh state reads the context, then each of its tokens."""
    model = generator.model
    index = {symbol: i for i, symbol in enumerate(generator.symbols)}
    ids = prepare_start(start, generator.vocab).ids + [index[t] for t in after]
    state = model.initial_state(1)
    for token in ids:
        logits = model.step(np.array([token]), state)[0]
    plain = tuned = 1.0
    for token in tokens:
        plain *= probabilities(logits, 1.0)[index[token]]
        tuned *= probabilities(logits, temperature, top_k, top_p)[index[token]]
        logits = model.step(np.array([index[token]]), state)[0]
    return plain, tuned


def well_formed(choice: syllable_choices.Choice, opened: list[str] = ()) -> bool:
    """A whole syllable (initial, vowel, optional final, ᴥ) or one token that is no jamo."""
    tokens = "".join(opened) + choice.tokens
    if len(choice.tokens) == 1 and not syllable_grammar.is_jamo(choice.tokens):
        return choice.text == choice.tokens and not opened
    return (syllable_grammar.state_after(tokens) == syllable_grammar.BETWEEN and tokens.endswith(hangul.MARK)
            and tokens.count(hangul.MARK) == 1 and len(choice.text) == 1 and hangul.is_syllable(choice.text)
            and hangul.decompose(choice.text) == tokens)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("start, after", [("한국에서는", []), ("나무위키", list("ㅁㅏᴥ ")), ("", [])])
def test_choices_are_whole_syllables_most_likely_first_summing_to_at_most_one(seed, start, after):
    generator = random_generator(seed)
    found = syllable_choices.choices(generator, start, after, temperature=0.7)
    assert len(found) == syllable_choices.TOP
    assert all(well_formed(c) for c in found), [c for c in found if not well_formed(c)]
    assert [c.probability for c in found] == sorted((c.probability for c in found), reverse=True)
    assert len({c.tokens for c in found}) == len(found)
    assert sum(c.probability for c in found) <= 1.0 + 1e-9 and sum(c.tuned for c in found) <= 1.0 + 1e-9
    assert any(len(c.tokens) > 1 for c in found), "no syllable among the choices"
    for choice in found:  # each one's odds: the product of its tokens' probabilities, ᴥ included
        plain, tuned = along(generator, start, after, choice.tokens, temperature=0.7)
        assert choice.probability == pytest.approx(plain, rel=1e-4)
        assert choice.tuned == pytest.approx(tuned, rel=1e-4)


def test_top_k_and_top_p_reach_the_tuned_odds_and_a_syllable_they_rule_out_has_none():
    generator = random_generator(3)
    found = syllable_choices.choices(generator, "말뭉치", [], temperature=1.3, top_k=20, top_p=0.9)
    for choice in found:
        assert choice.tuned == pytest.approx(along(generator, "말뭉치", [], choice.tokens, 1.3, 20, 0.9)[1], rel=1e-4)
    assert any(c.tuned == 0 for c in found) and any(c.tuned > 0 for c in found)


def test_a_syllable_begun_jamo_by_jamo_is_completed():
    generator = random_generator(4)
    for opened in (["ㄴ"], ["ㅁ", "ㅏ"], ["ㅁ", "ㅏ", "ㄹ"]):
        found = syllable_choices.choices(generator, "한국", ["ㅇ", "ㅔ", hangul.MARK, *opened])
        assert found and all(well_formed(c, opened) for c in found)
        assert all(hangul.decompose(c.text).startswith("".join(opened)) for c in found)
        for choice in found:
            assert choice.probability == pytest.approx(
                along(generator, "한국", ["ㅇ", "ㅔ", hangul.MARK, *opened], choice.tokens)[0], rel=1e-4)


def test_a_character_asked_for_is_listed_with_its_own_odds_even_where_the_beam_would_not():
    generator = random_generator(5)
    listed = {c.tokens for c in syllable_choices.choices(generator, "한국")}
    rare = next(t for t in (hangul.decompose(s) for s in "쓰읽뭉치말") if t not in listed)
    found = syllable_choices.choices(generator, "한국", include=[rare])
    [asked] = [c for c in found if c.tokens == rare]
    assert asked.probability == pytest.approx(along(generator, "한국", [], rare)[0], rel=1e-4)
    assert [c.probability for c in found] == sorted((c.probability for c in found), reverse=True)


def test_a_model_of_whole_characters_offers_its_characters():
    generator = random_generator(6, tokenizer_jamo=False)
    found = syllable_choices.choices(generator, "한국", temperature=1.0)
    assert all(len(c.tokens) == 1 and c.text == c.tokens for c in found)
    for choice in found:
        assert choice.probability == pytest.approx(along(generator, "한국", [], choice.tokens)[0], rel=1e-4)


def test_the_sampler_gives_the_choices_the_model_gives_here(tiny_trained_run):
    model = sampling.Model(tiny_trained_run)
    after = ["ㅇ", "ㅔ", hangul.MARK]
    here = syllable_choices.choices(generate.load_generator(tiny_trained_run), "한국에서는", after, temperature=0.8,
                                    include=[hangul.decompose("뭉")])
    there = model.syllable_choices("한국에서는", 0.8, after=after, include=[hangul.decompose("뭉")])
    assert [(c.text, c.tokens) for c in there] == [(c.text, c.tokens) for c in here]
    assert [c.probability for c in there] == pytest.approx([c.probability for c in here])
