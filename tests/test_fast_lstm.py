"""The fused CPU training pass computes the plain model: same loss, same gradients, same variables."""

import numpy as np
import pytest

from namuweb.language_model import fast_lstm, model as lm_model
from namuweb.language_model.settings import TrainConfig

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def loss_and_gradients(model, variables, x, y, training=True):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=training))
    return float(loss), [np.asarray(tf.convert_to_tensor(g)) for g in tape.gradient(loss, variables)]


@pytest.mark.parametrize("layers, batch, chains, dropout",
                         [(1, 5, 2, 0.0), (2, 4, 2, 0.0), (1, 1, 2, 0.0), (1, 3, 1, 0.0), (2, 4, 2, 0.3)])
def test_fused_pass_has_the_plain_models_loss_and_gradients(layers, batch, chains, dropout):
    """Without dropout in play (dropout layers are the identity outside training) both passes compute
    the same function; the wrapper's training-mode dropout is checked below."""
    config = TrainConfig(corpus="c", embedding=6, units=5, layers=layers, batch=batch, seq_len=7, dropout=dropout)
    keras.utils.set_random_seed(3)
    model = lm_model.build_model(11, config)
    fused = fast_lstm.training_model(model, chains)
    rng = np.random.default_rng(0)
    x, y = (rng.integers(0, 11, (batch, 7)).astype("int32") for _ in range(2))
    training = not dropout
    plain_loss, plain_grads = loss_and_gradients(model, model.trainable_variables, x, y, training)
    fused_loss, fused_grads = loss_and_gradients(fused, model.trainable_variables, x, y, training)
    assert fused_loss == pytest.approx(plain_loss, abs=1e-6)
    assert len(fused_grads) == len(plain_grads) == len(model.trainable_variables)
    for plain, fast in zip(plain_grads, fused_grads):
        assert np.abs(plain).max() > 0  # every variable really gets a gradient
        np.testing.assert_allclose(fast, plain, atol=1e-6)


def test_the_wrapper_trains_the_models_own_variables_in_order():
    model = lm_model.build_model(11, TrainConfig(corpus="c", embedding=6, units=5))
    fused = fast_lstm.training_model(model)
    fused(np.zeros((2, 3), "int32"))
    assert [id(v) for v in fused.trainable_variables] == [id(v) for v in model.trainable_variables]


def test_the_wrapper_drops_out_while_training_only():
    config = TrainConfig(corpus="c", embedding=6, units=5, layers=2, dropout=0.5)
    model = lm_model.build_model(11, config)
    fused = fast_lstm.training_model(model, 2)
    x = np.random.default_rng(0).integers(0, 11, (4, 9)).astype("int32")
    np.testing.assert_allclose(fused(x, training=False), model(x, training=False), atol=1e-5)
    assert np.abs(np.asarray(fused(x, training=True)) - np.asarray(fused(x, training=False))).max() > 1e-3


def test_it_applies_only_where_it_computes_the_same_model(monkeypatch):
    monkeypatch.delenv("NAMUWEB_PLAIN_LSTM", raising=False)
    base = TrainConfig(corpus="c")
    on_gpu = bool(tf.config.list_logical_devices("GPU"))
    # the fused pass is for a CPU; with a GPU, Keras' LSTM runs its cuDNN kernel instead
    assert fast_lstm.applies(base, strategy=None) is (not on_gpu)
    assert fast_lstm.applies(TrainConfig(corpus="c", dropout=0.2), strategy=None) is (not on_gpu)
    assert not fast_lstm.applies(TrainConfig(corpus="c", mixed_precision=True), strategy=None)
    assert not fast_lstm.applies(base, strategy=object())
    monkeypatch.setenv("NAMUWEB_PLAIN_LSTM", "1")
    assert not fast_lstm.applies(base, strategy=None)


@pytest.mark.parametrize("chains", [1, 2])
def test_training_through_the_wrapper_is_training_the_plain_model(chains):
    """Three optimizer steps through the wrapper land on the weights that the plain model's own
    steps reach, the embedding included: its gradient keeps the plain model's sparse form, so
    Keras' Adam treats it the same way."""
    config = TrainConfig(corpus="c", embedding=6, units=5, batch=6, seq_len=7, learning_rate=0.01)
    rng = np.random.default_rng(1)
    batches = [tuple(rng.integers(0, 11, (6, 7)).astype("int32") for _ in range(2)) for _ in range(3)]

    def trained(through_wrapper: bool):
        keras.utils.set_random_seed(4)
        model = lm_model.build_model(11, config)
        lm_model.compile_model(model, config)
        initial = [np.array(w) for w in model.weights]
        stepper = model
        if through_wrapper:
            stepper = fast_lstm.training_model(model, chains)
            stepper.compile(optimizer=model.optimizer, loss=model.loss)
        losses = [float(stepper.train_on_batch(x, y)) for x, y in batches]
        weights = [np.array(w) for w in model.weights]
        assert all(np.abs(w - w0).max() > 1e-4 for w, w0 in zip(weights, initial))  # every weight trained
        return losses, weights

    plain_losses, plain_weights = trained(False)
    fused_losses, fused_weights = trained(True)
    np.testing.assert_allclose(fused_losses, plain_losses, rtol=1e-5)
    assert len(fused_weights) == len(plain_weights)
    for expected, found in zip(plain_weights, fused_weights):
        np.testing.assert_allclose(found, expected, atol=1e-5)


def test_sparse_cross_entropy_and_its_gradient_match_tensorflows():
    rng = np.random.default_rng(2)
    logits = tf.constant(rng.normal(size=(4, 3, 9)) * 5, tf.float32)
    labels = tf.constant(rng.integers(0, 9, (4, 3)), tf.int32)
    weights = tf.constant(rng.random((4, 3)), tf.float32)
    found = []
    for fn in (fast_lstm.sparse_cross_entropy, tf.nn.sparse_softmax_cross_entropy_with_logits):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            losses = fn(labels, logits)
            total = tf.reduce_sum(losses * weights)
        found.append((losses.numpy(), tape.gradient(total, logits).numpy()))
    np.testing.assert_allclose(found[0][0], found[1][0], rtol=1e-5)
    np.testing.assert_allclose(found[0][1], found[1][1], atol=1e-6)


def test_where_the_fused_pass_trains_each_op_runs_on_one_thread():
    """Set before TensorFlow starts, so in a fresh process; with a GPU the plain model trains and
    TensorFlow keeps its own thread count."""
    import os
    import subprocess
    import sys
    code = ("from namuweb.language_model import fast_lstm; from namuweb.language_model.settings import TrainConfig; import tensorflow as tf; "
            "print(fast_lstm.configure_threads(TrainConfig(corpus='c')), "
            "tf.config.threading.get_intra_op_parallelism_threads(), len(tf.config.list_physical_devices('GPU')))")
    env = {k: v for k, v in os.environ.items() if k != "NAMUWEB_PLAIN_LSTM"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    configured, threads, gpus = done.stdout.split()
    assert (configured, threads) == (("False", "0") if int(gpus) else ("True", "1")), done.stderr[-2000:]
    # once TensorFlow runs (this test process), nothing is changed under it and nothing raises
    tf.constant(1)
    before = tf.config.threading.get_intra_op_parallelism_threads()
    assert fast_lstm.configure_threads(TrainConfig(corpus="c", preset="custom")) is (before == 1)
    assert tf.config.threading.get_intra_op_parallelism_threads() == before
