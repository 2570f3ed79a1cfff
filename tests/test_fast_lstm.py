"""The fused CPU training pass computes the plain model: same loss, same gradients, same variables."""

import numpy as np
import pytest

from namuweb import charlm, fast_lstm
from namuweb.charlm import TrainConfig

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def loss_and_gradients(model, variables, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    return float(loss), [np.asarray(tf.convert_to_tensor(g)) for g in tape.gradient(loss, variables)]


@pytest.mark.parametrize("layers, batch, chains", [(1, 5, 2), (2, 4, 2), (1, 1, 2), (1, 3, 1)])
def test_fused_pass_has_the_plain_models_loss_and_gradients(layers, batch, chains):
    config = TrainConfig(corpus="c", embedding=6, units=5, layers=layers, batch=batch, seq_len=7)
    keras.utils.set_random_seed(3)
    model = charlm.build_model(11, config)
    fused = fast_lstm.training_model(model, chains)
    rng = np.random.default_rng(0)
    x, y = (rng.integers(0, 11, (batch, 7)).astype("int32") for _ in range(2))
    plain_loss, plain_grads = loss_and_gradients(model, model.trainable_variables, x, y)
    fused_loss, fused_grads = loss_and_gradients(fused, model.trainable_variables, x, y)
    assert fused_loss == pytest.approx(plain_loss, abs=1e-6)
    assert len(fused_grads) == len(plain_grads) == len(model.trainable_variables)
    for plain, fast in zip(plain_grads, fused_grads):
        assert np.abs(plain).max() > 0  # every variable really gets a gradient
        np.testing.assert_allclose(fast, plain, atol=1e-6)


def test_the_wrapper_trains_the_models_own_variables_in_order():
    model = charlm.build_model(11, TrainConfig(corpus="c", embedding=6, units=5))
    fused = fast_lstm.training_model(model)
    fused(np.zeros((2, 3), "int32"))
    assert [id(v) for v in fused.trainable_variables] == [id(v) for v in model.trainable_variables]


def test_it_applies_only_where_it_computes_the_same_model(monkeypatch):
    monkeypatch.delenv("NAMUWEB_PLAIN_LSTM", raising=False)
    base = TrainConfig(corpus="c")
    assert fast_lstm.applies(base, strategy=None)  # TensorFlow on this CPU
    assert not fast_lstm.applies(TrainConfig(corpus="c", dropout=0.2), strategy=None)
    assert not fast_lstm.applies(TrainConfig(corpus="c", mixed_precision=True), strategy=None)
    assert not fast_lstm.applies(base, strategy=object())
    monkeypatch.setenv("NAMUWEB_PLAIN_LSTM", "1")
    assert not fast_lstm.applies(base, strategy=None)
