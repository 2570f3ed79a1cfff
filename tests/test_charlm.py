import numpy as np
import pytest

from namuweb import charlm
from namuweb.charlm import Split, TrainConfig


def test_chunks_are_non_overlapping_and_targets_shift_by_one():
    ids = np.arange(1000, dtype=np.uint16) % 251
    split = Split.of(ids, seq_len=9, val_share=0.1, batch=4)
    assert split.train.shape[1] == 10
    assert len(split.train) + len(split.val) == 100
    assert len(split.val) == 10
    np.testing.assert_array_equal(np.concatenate([split.train, split.val]).ravel(), ids[:1000])
    batches = charlm.make_batches(split.train, 4, seed=1, epoch=0)
    assert len(batches) == 90 // 4
    x, y = batches[0]
    assert x.shape == y.shape == (4, 9) and x.dtype == np.int32
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])


def test_epoch_order_is_reproducible_and_changes_between_epochs():
    a = charlm.epoch_order(50, seed=3, epoch=0)
    assert np.array_equal(a, charlm.epoch_order(50, seed=3, epoch=0))
    assert not np.array_equal(a, charlm.epoch_order(50, seed=3, epoch=1))
    assert sorted(a) == list(range(50))


def test_skipping_batches_resumes_the_same_order():
    chunks = np.arange(400, dtype=np.int32).reshape(40, 10)
    full = charlm.make_batches(chunks, 5, seed=7, epoch=2)
    resumed = charlm.make_batches(chunks, 5, seed=7, epoch=2, skip=3)
    assert len(resumed) == len(full) - 3
    np.testing.assert_array_equal(resumed[0][0], full[3][0])


def test_too_small_corpus_is_a_clear_error():
    with pytest.raises(ValueError, match="corpus too small"):
        Split.of(np.zeros(500, dtype=np.uint8), seq_len=300, val_share=0.05, batch=100)


@pytest.mark.parametrize("change, message", [
    (dict(batch=0), "batch must be between"), (dict(seq_len=10**6), "seq len must be between"),
    (dict(learning_rate=-1.0), "learning rate"), (dict(layers=99), "layers"),
    (dict(epochs=None, steps=None), "epochs or a step budget"), (dict(distribute="cluster"), "distribute"),
])
def test_config_validation(change, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(corpus="builtin", **change).validated()


def test_presets():
    demo = TrainConfig.from_preset("builtin", "demo")
    assert demo.steps and demo.epochs is None
    tutorial = TrainConfig.from_preset("builtin", "tutorial")
    assert (tutorial.embedding, tutorial.units, tutorial.batch, tutorial.seq_len) == (128, 128, 100, 300)
    assert TrainConfig.from_preset("builtin", "tutorial", steps=7).epochs is None
    assert TrainConfig.from_preset("builtin", "demo", epochs=2).steps is None
    with pytest.raises(ValueError, match="unknown preset"):
        TrainConfig.from_preset("builtin", "huge")
    assert TrainConfig.from_json(demo.to_json()) == demo


def test_total_steps_and_epochs():
    config = TrainConfig(corpus="c", epochs=3, steps=None)
    assert charlm.total_steps(config, 10) == 30 and charlm.epochs_needed(config, 10) == 3
    budget = TrainConfig(corpus="c", epochs=None, steps=25)
    assert charlm.total_steps(budget, 10) == 25 and charlm.epochs_needed(budget, 10) == 3


def test_model_is_the_tutorials_shape():
    model = charlm.build_model(181, TrainConfig(corpus="c"))
    names = [layer.__class__.__name__ for layer in model.layers]
    assert names == ["InputLayer", "Embedding", "LSTM", "Dense"]
    assert model.output_shape == (None, None, 181)
    assert model.count_params() == 181 * 128 + 4 * 128 * (128 + 128 + 1) + 128 * 181 + 181


def test_tf_data_pipeline_yields_the_same_batches_as_the_pydataset():
    chunks = (np.arange(2100, dtype=np.int64) % 97).astype(np.uint8).reshape(70, 30)
    reference = charlm.make_batches(chunks, 8, seed=5, epoch=1, skip=2)
    pipeline = list(charlm.make_dataset(chunks, 8, seed=5, epoch=1, skip=2))
    assert len(pipeline) == len(reference) == charlm.batches_per_epoch(chunks, 8, skip=2)
    for i, (x, y) in enumerate(pipeline):
        np.testing.assert_array_equal(x.numpy(), reference[i][0])
        np.testing.assert_array_equal(y.numpy(), reference[i][1])
