"""A faster training pass of the char-LSTM on a CPU, computing exactly the same model.

Without a GPU, Keras runs its LSTM as a generic loop with small matmuls per time step, and the
chain of ``h @ U`` (forward) and ``dz @ U^T`` (backward) sets the step time. This pass:

* projects the inputs of every time step at once (``x @ W + b``, one matmul before the loop);
* runs the recurrence with a hand-written backward loop (``tf.custom_gradient``) and computes
  ``dU`` as one large matmul after the loop instead of one per step;
* cuts the batch into independent halves, one recurrence per core, each with its own output
  layer and loss, so the work around the loops runs on both cores too;
* writes the cross-entropy's gradient out (``softmax − one_hot``).

The embedding stays the model's own layer, so its gradient keeps Keras' sparse form and Adam
updates it as it does the plain model (``tests/test_fast_lstm.py`` checks that optimizer steps
through both land on the same weights). Weights live in the ordinary Keras layers (``Embedding``
→ ``LSTM`` × L → ``Dense``); :class:`FusedTraining` only computes with them, so checkpoints,
generation and every other backend see the plain model. TensorFlow on a CPU only: with a GPU the
cuDNN kernel is faster, and elsewhere the plain model trains. Whether it wins end to end is
measured by ``bench/time_to_quality.py`` (``NAMUWEB_PLAIN_LSTM=1`` trains the plain model).
"""

from __future__ import annotations

import os


def lstm_recurrence(inputs, h0, c0, recurrent_kernel):
    """Hidden states (T, B, u) of an LSTM whose input projections ``x_t @ W + b`` are given for
    every step at once (``inputs``, time-major (T, B, 4u)); Keras' gate order (input, forget,
    cell, output), tanh and sigmoid.  The gradient for ``inputs`` is the loop's own ``dz``, so
    ``W``, ``b`` and the embedding get theirs from autodiff outside the loop, each as one GEMM."""
    import tensorflow as tf

    @tf.custom_gradient
    def run(inputs, h0, c0, kernel):
        steps = tf.shape(inputs)[0]
        arrays = [tf.TensorArray(inputs.dtype, size=steps, element_shape=shape)
                  for shape in (h0.shape, h0.shape, (h0.shape[0], inputs.shape[2]))]

        units = kernel.shape[0]
        # one sigmoid over all four gates: tanh(x) = 2σ(2x) − 1, so the cell gate's block is scaled by 2
        scale = tf.constant([1.0] * (2 * units) + [2.0] * units + [1.0] * units, inputs.dtype)

        def forward(t, h, c, hs, cs, gates):
            s = tf.sigmoid((inputs[t] + tf.matmul(h, kernel)) * scale)
            i, f, g, o = tf.split(s, 4, axis=1)
            c = f * c + i * (2 * g - 1)
            h = o * tf.tanh(c)
            return t + 1, h, c, hs.write(t, h), cs.write(t, c), gates.write(t, s)

        _, _, _, hs, cs, gates = tf.while_loop(lambda t, *_: t < steps, forward, (0, h0, c0, *arrays))
        hs, cs, gates = hs.stack(), cs.stack(), gates.stack()

        def grad(d_hs, variables=None):
            hs_before = tf.concat([h0[None], hs[:-1]], 0)
            cs_before = tf.concat([c0[None], cs[:-1]], 0)
            kernel_t = tf.transpose(kernel)

            slope = scale * scale  # d/dx of 2σ(2x) − 1 is 4σ(1−σ); of σ(x), σ(1−σ)

            def backward(t, dh, dc, dzs):
                s = gates[t]
                i, f, g, o = tf.split(s, 4, axis=1)
                dh = dh + d_hs[t]
                tanh_c = tf.tanh(cs[t])
                dc = dc + dh * o * (1 - tanh_c * tanh_c)
                dz = tf.concat([dc * (2 * g - 1), dc * cs_before[t], dc * i, dh * tanh_c], 1) * (slope * s * (1 - s))
                return t - 1, tf.matmul(dz, kernel_t), dc * f, dzs.write(t, dz)

            dzs = tf.TensorArray(inputs.dtype, size=steps, element_shape=(h0.shape[0], inputs.shape[2]))
            _, dh0, dc0, dzs = tf.while_loop(
                lambda t, *_: t >= 0, backward, (steps - 1, tf.zeros_like(h0), tf.zeros_like(c0), dzs))
            dz = dzs.stack()
            d_kernel = tf.matmul(tf.reshape(hs_before, (-1, hs.shape[-1])), tf.reshape(dz, (-1, dz.shape[-1])),
                                 transpose_a=True)
            return (dz, dh0, dc0, d_kernel), []

        return hs, grad

    # a tensor, not the variable: custom_gradient would otherwise want a gradient per variable read inside
    return run(inputs, h0, c0, tf.convert_to_tensor(recurrent_kernel))


def sparse_cross_entropy(labels, logits):
    """Per-token ``-log softmax(logits)[label]``, as ``tf.nn.sparse_softmax_cross_entropy_with_logits``
    computes it, with the gradient ``softmax − one_hot`` written out: about half that op's time here."""
    import tensorflow as tf

    @tf.custom_gradient
    def run(logits):
        shifted = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
        exp = tf.exp(shifted)
        total = tf.reduce_sum(exp, axis=-1, keepdims=True)
        losses = tf.math.log(total[..., 0]) - tf.gather(shifted, labels, axis=-1, batch_dims=labels.shape.rank)

        def grad(d_losses):
            return (exp / total - tf.one_hot(labels, tf.shape(logits)[-1], dtype=logits.dtype)) * d_losses[..., None]

        return losses, grad

    return run(logits)


def chain_sizes(batch, chains: int) -> list:
    """How many sequences of a batch each chain gets (the last one takes the remainder)."""
    sizes = [batch // chains] * (chains - 1)
    return sizes + [batch - (chains - 1) * (batch // chains)]


def first_layer(ids, embedding, lstm, chains: int, dropout=None, training: bool = False) -> list:
    """The first LSTM's output sequences for token ids (B, T): one (B/chains, T, u) block per chain,
    the batch's sequences in order.  The embedding is the model's own layer, so its gradient has the
    plain model's form (Keras' Adam treats a sparse embedding gradient in its own way)."""
    import tensorflow as tf
    cell = lstm.cell
    outputs = []
    for part in (tf.split(ids, chain_sizes(tf.shape(ids)[0], chains), axis=0) if chains > 1 else [ids]):
        x = embedding(tf.transpose(part))                   # time-major (T, b, e)
        if dropout is not None:
            x = dropout(x, training=training)
        steps, width = tf.shape(x)[0], tf.shape(x)[1]
        inputs = tf.reshape(tf.matmul(tf.reshape(x, (-1, x.shape[-1])), cell.kernel) + cell.bias,
                            (steps, width, 4 * lstm.units))
        zeros = tf.zeros((width, lstm.units), inputs.dtype)
        outputs.append(tf.transpose(lstm_recurrence(inputs, zeros, zeros, cell.recurrent_kernel), (1, 0, 2)))
    return outputs


def applies(config, strategy) -> bool:
    """Whether the fused pass computes this run's model: TensorFlow on a CPU, float32, and no
    ``tf.distribute`` strategy."""
    if strategy is not None or not _settings_allow(config):
        return False
    import tensorflow as tf
    return not tf.config.list_logical_devices("GPU")


def _settings_allow(config) -> bool:
    """The TensorFlow backend, float32, and the plain model not asked for."""
    import keras
    return (keras.backend.backend() == "tensorflow" and not config.mixed_precision
            and not os.environ.get("NAMUWEB_PLAIN_LSTM"))


def will_apply(config, logical_cpus: int = 0) -> bool:
    """Whether :func:`applies` will hold for this run, asked before TensorFlow starts (physical
    devices only: listing logical ones would start it)."""
    if logical_cpus or config.distribute not in ("auto", "none") or not _settings_allow(config):
        return False
    import tensorflow as tf
    return not tf.config.list_physical_devices("GPU")


def configure_threads(config, logical_cpus: int = 0) -> bool:
    """Before TensorFlow starts: one thread per op where the fused pass will train.  Its chains
    already keep every core busy, an op each; splitting their small matmuls across the cores as
    well only added synchronisation, and the run got fewer steps into its time
    (``bench/time_to_quality.py``).  Returns whether each op now runs on one thread."""
    if not will_apply(config, logical_cpus):
        return False
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already runs in this process (a test, a second run): leave it as it is
        pass
    return tf.config.threading.get_intra_op_parallelism_threads() == 1


def default_chains() -> int:
    """One recurrence per core, at most two (the configuration measured)."""
    return max(1, min(2, os.cpu_count() or 1))


def training_model(model, chains: int | None = None):
    """A Keras model that trains ``model``'s own variables through the fused pass.

    Its trainable variables are ``model``'s, in the same order, so both can share one
    optimizer: train the wrapper, save ``model``."""
    import keras
    import tensorflow as tf

    chains = default_chains() if chains is None else chains
    embedding = model.get_layer("embedding")
    lstms = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    logits = model.get_layer("logits")
    names = {layer.name for layer in model.layers}
    dropouts = [model.get_layer(f"dropout_{i}") if f"dropout_{i}" in names else None for i in range(len(lstms))]
    output_dropout = model.get_layer("dropout_out") if "dropout_out" in names else None

    def output(x, training):
        return logits(output_dropout(x, training=training) if output_dropout is not None else x)

    class FusedTraining(keras.Model):
        def __init__(self):
            super().__init__(name="char_lstm_fused")
            self.base = model

        def call(self, ids, training=False):
            parts = first_layer(ids, embedding, lstms[0], chains, dropouts[0], training)
            if len(lstms) == 1:  # logits per chain too: the output layer and its gradient on both cores
                return tf.concat([output(part, training) for part in parts], axis=0) if chains > 1 \
                    else output(parts[0], training)
            x = tf.concat(parts, axis=0) if chains > 1 else parts[0]
            for lstm, dropout in zip(lstms[1:], dropouts[1:]):
                if dropout is not None:
                    x = dropout(x, training=training)
                x = lstm(x, training=training)
            return output(x, training)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            """The run's loss — sparse cross-entropy from logits, the mean over tokens — summed a
            chain at a time, so each chain's softmax runs on its own core."""
            if y is None or sample_weight is not None:
                return super().compute_loss(x, y, y_pred, sample_weight, training)
            sizes = chain_sizes(tf.shape(y)[0], chains)
            pairs = zip(tf.split(y, sizes), tf.split(y_pred, sizes)) if chains > 1 else [(y, y_pred)]
            total = tf.add_n([tf.reduce_sum(sparse_cross_entropy(tf.cast(part_y, tf.int32), part_pred))
                              for part_y, part_pred in pairs])
            return total / tf.cast(tf.size(y), total.dtype)

    return FusedTraining()
