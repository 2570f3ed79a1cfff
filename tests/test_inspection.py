"""namuweb.language_model.inspection: surprisal per character and the cell finder."""

import math
import random
import time

import numpy as np
import pytest

from namuweb.corpora import corpus
from namuweb.language_model import generate, inspection, runs, trainer
from namuweb.language_model.settings import TrainConfig
from namuweb.language_model.generate import Generator, Weights
from namuweb.text import hangul
from namuweb.text.vocab import Vocabulary
from library_texts import add_text

TEXT = "한국에서는 나무위키 말뭉치를 만들어보자. (가나다) \"라마바\" 123 abc.\n" * 200


def train(home, monkeypatch, text: str, **settings):
    monkeypatch.setenv("NAMUWEB_HOME", str(home))
    source = add_text(text.encode("utf-8"), "text.txt")
    config = TrainConfig(corpus=source.id, preset="custom", **{
        "embedding": 12, "units": 16, "layers": 2, "dropout": 0.0, "batch": 8, "seq_len": 20,
        "learning_rate": 0.02, "epochs": None, "steps": 15, **settings}).validated()
    run_dir = runs.create_run(config)
    trainer.train(run_dir)
    return run_dir


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        return train(tmp_path_factory.mktemp("inspect-home"), patch, TEXT)


def test_surprisal_is_the_keras_models_own_cross_entropy(trained_run):
    """Each token's bits are -log2 of the probability the trained Keras model gave it, after the same context."""
    import keras
    model = keras.models.load_model(runs.Run(trained_run).checkpoint_file())
    gen = generate.load_generator(trained_run)
    text = "한국에서는 (나무) 말뭉치"
    traced = inspection.trace(gen, text)
    index = gen.vocab.index()
    ids = [index[t] for t in hangul.decompose(inspection.CONTEXT + text)]
    logits = np.asarray(model(np.array([ids[:-1]]), training=False))[0].astype(np.float64)
    log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    expected = -log_probs[np.arange(len(ids) - 1), ids[1:]] / math.log(2)
    np.testing.assert_allclose(traced.bits, expected, atol=1e-3)
    assert traced.tokens == list(hangul.decompose(text))


def test_a_characters_surprisal_is_the_sum_over_its_jamo_and_unknown_characters_are_named(trained_run):
    gen = generate.load_generator(trained_run)
    result = inspection.inspect(trained_run, "한국 😀 말")
    chars = result.characters
    assert [c.char for c in chars] == list("한국 😀 말")
    assert [t for t, _ in chars[0].tokens] == list("ㅎㅏㄴᴥ")
    assert chars[0].bits == pytest.approx(sum(b for _, b in chars[0].tokens))
    assert chars[3].bits is None and chars[3].tokens == [("😀", pytest.approx(float("nan"), nan_ok=True))]
    scored = [c.bits for c in chars if c.bits is not None]
    assert result.bits_per_character == pytest.approx(sum(scored) / len(scored))
    guesses = chars[0].guesses
    assert len(guesses) == inspection.TOP_GUESSES and all(t in gen.symbols for t, _ in guesses)
    assert [p for _, p in guesses] == sorted((p for _, p in guesses), reverse=True)


def random_generator(text: str, embedding: int, units: int) -> Generator:
    """A model of the given sizes with random weights, over the jamo of ``text``: enough to time a
    pass or name features, no training needed."""
    chars = sorted(set(hangul.decompose(text)) | {"\n"})
    rng = np.random.default_rng(1)
    v = len(chars)
    weights = Weights(embedding=rng.normal(0, 0.1, (v, embedding)).astype(np.float32),
                      lstm=[(rng.normal(0, 0.1, (embedding, 4 * units)).astype(np.float32),
                             rng.normal(0, 0.1, (units, 4 * units)).astype(np.float32), np.zeros(4 * units, np.float32))],
                      dense=(rng.normal(0, 0.1, (units, v)).astype(np.float32), np.zeros(v, np.float32)))
    return Generator(weights, Vocabulary(chars=chars, counts=[1] * v))


def test_features_name_each_tokens_place():
    text = "한국 (가) \"나\" 1 a"
    traced = inspection.trace(random_generator(text, embedding=4, units=3), text)
    features = inspection.token_features(traced)
    tokens = traced.tokens
    assert tokens[:8] == list("ㅎㅏㄴᴥㄱㅜㄱᴥ")
    assert list(features["initial"][:8]) == [1, 0, 0, 0, 1, 0, 0, 0]
    assert list(features["final"][:8]) == [0, 0, 1, 0, 0, 0, 1, 0]
    assert list(features["syllable end (ᴥ)"][:8]) == [0, 0, 0, 1, 0, 0, 0, 1]
    inside = [t for t, flag in zip(tokens, features["inside parentheses"]) if flag]
    assert inside == list("ㄱㅏᴥ)")  # from after "(" up to and including ")"
    quoted = [t for t, flag in zip(tokens, features["inside quotes"]) if flag]
    assert quoted == list("ㄴㅏᴥ\"")
    assert [t for t, flag in zip(tokens, features["digit"]) if flag] == ["1"]
    assert [t for t, flag in zip(tokens, features["Latin"]) if flag] == ["a"]
    assert features["distance from line start"][-1] == len("한국 (가) \"나\" 1 a") - 1


def test_five_thousand_characters_of_a_tutorial_sized_model_in_a_second():
    """Embedding 128 → LSTM 128 → Dense over ~150 jamo tokens, as the tutorial trains it."""
    text = (TEXT * 5)[:5000]
    gen = random_generator(text, embedding=128, units=128)
    # This thread's CPU seconds: neither a loaded machine's pauses nor BLAS helper threads spinning
    # beside another test's work (process time read 1.2 s under a full suite, 0.25 s alone) are the pass.
    started = time.thread_time()
    traced = inspection.trace(gen, text)
    inspection.characters(traced)
    assert time.thread_time() - started < 1.0
    assert len(traced.tokens) > 10_000
    with pytest.raises(ValueError, match="at most 20,000"):
        inspection.trace(gen, "가" * (inspection.MAX_CHARACTERS + 1))


def nested_parentheses(seed: int, lines: int) -> str:
    """Hangul outside parentheses, digits inside them, nested up to three deep: to predict the next
    character the model must know whether it is inside."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        line, depth = [], 0
        for _ in range(rng.randint(6, 14)):
            roll = rng.random()
            if roll < 0.2 and depth < 3:
                line.append("(")
                depth += 1
            elif roll < 0.4 and depth:
                line.append(")")
                depth -= 1
            else:
                line.append("".join(rng.choice("0123456789") if depth else rng.choice("가나다라마바사")
                                    for _ in range(rng.randint(1, 3))) + " ")
        line.append(")" * depth)
        out.append("".join(line).strip())
    return "\n".join(out) + "\n"


def test_the_finder_ranks_a_cell_that_tracks_a_planted_feature_at_the_top(tmp_path, monkeypatch):
    run_dir = train(tmp_path, monkeypatch, nested_parentheses(0, 3000), embedding=16, units=32, layers=1,
                    batch=32, seq_len=64, learning_rate=0.01, steps=300)
    traced = inspection.trace(generate.load_generator(run_dir), nested_parentheses(1, 40))
    found = inspection.find_cells(traced)
    best = found["inside parentheses"][0]
    assert abs(best.r) > 0.8, found["inside parentheses"]
    # The top cell alone tells inside from outside: a threshold on it separates the two.
    inside = inspection.token_features(traced)["inside parentheses"][traced.known] > 0
    values = traced.cells[best.layer][traced.known, best.cell] * np.sign(best.r)
    ranks = values.argsort().argsort()
    auc = (ranks[inside].mean() - (inside.sum() - 1) / 2) / (~inside).sum()
    assert auc > 0.95, auc


def test_a_run_on_syllables_generates_and_is_inspected_in_characters(tmp_path, monkeypatch):
    run_dir = train(tmp_path, monkeypatch, TEXT, tokenization="syllables")
    vocab = runs.Run(run_dir).vocab()
    assert vocab.tokenizer == "char" and "한" in vocab.chars and "ㅎ" not in vocab.chars
    gen = generate.load_generator(run_dir)
    sample = gen.generate("한국", 30, 1.0, seed=0)[0]
    assert len(sample.continuation) == 30 and sample.tokens == list(sample.continuation)
    result = inspection.inspect(run_dir, "한국에서는")
    assert [t for c in result.characters for t, _ in c.tokens] == list("한국에서는")
    assert "initial" not in inspection.token_features(result.trace)
    assert runs.Run(run_dir).settings()["tokens_per_char"] == 1.0 and runs.Run(run_dir).config().tokenization == "syllables"
