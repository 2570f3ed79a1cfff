"""The tutorial's character-level LSTM as a Keras 3 model (Embedding → LSTM → Dense logits).

Plain Keras, so it runs on TensorFlow by default and on JAX or PyTorch when ``KERAS_BACKEND`` says so.
The LSTM keeps cuDNN-eligible settings (tanh/sigmoid, no recurrent dropout, dropout as separate layers)
so a GPU gets the fast kernel automatically.  Keras is imported only when a model is built.
"""

from __future__ import annotations

from namuweb.language_model.settings import TrainConfig


def build_model(vocab_size: int, config: TrainConfig):
    import keras
    from keras import layers

    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, config.embedding, name="embedding")(tokens)
    for i in range(config.layers):
        if config.dropout:
            x = layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
        x = layers.LSTM(config.units, return_sequences=True, recurrent_initializer="glorot_uniform",
                        name=f"lstm_{i}")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="dropout_out")(x)
    logits = layers.Dense(vocab_size, dtype="float32", name="logits")(x)
    return keras.Model(tokens, logits, name="char_lstm")


def compile_model(model, config: TrainConfig) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
