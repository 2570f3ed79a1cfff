import numpy as np
import pytest

from namuweb.language_model import data as lm_data, model as lm_model, settings as lm_settings
from namuweb.language_model.data import Split
from namuweb.language_model.settings import TrainConfig


def test_chunks_are_non_overlapping_and_targets_shift_by_one():
    ids = np.arange(1000, dtype=np.uint16) % 251
    split = Split.of(ids, seq_len=9, val_share=0.1, batch=4)
    assert split.train.shape[1] == 10
    assert len(split.train) + len(split.val) == 100
    assert len(split.val) == 10
    np.testing.assert_array_equal(np.concatenate([split.train, split.val]).ravel(), ids[:1000])
    assert lm_settings.step_plan(TrainConfig(corpus='c', seq_len=9, val_share=0.1, batch=4), len(ids)).per_epoch \
        == split.tokens // 10 * 9 // 10 // 4 == 90 // 4  # the one step arithmetic counts what Split cuts
    x, y = next(lm_data.batch_stream(split.train, 4, seed=1))
    assert x.shape == y.shape == (4, 9) and x.dtype == np.int32
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])


def test_epoch_order_is_reproducible_and_changes_between_epochs():
    a = lm_data.epoch_order(50, seed=3, epoch=0)
    assert np.array_equal(a, lm_data.epoch_order(50, seed=3, epoch=0))
    assert not np.array_equal(a, lm_data.epoch_order(50, seed=3, epoch=1))
    assert sorted(a) == list(range(50))


def test_the_batch_stream_runs_epoch_after_epoch_and_resumes_at_any_step():
    chunks = np.arange(420, dtype=np.int32).reshape(42, 10)  # 8 whole batches of 5 per epoch, 2 chunks dropped
    stream = lm_data.batch_stream(chunks, 5, seed=7)
    first = [next(stream) for _ in range(20)]
    for epoch in range(2):  # every epoch is a shuffle of (nearly) all chunks, a different one each time
        seen = np.concatenate([x[:, 0] for x, _ in first[8 * epoch:8 * epoch + 8]]) // 10
        assert len(set(seen)) == 40 and set(seen) <= set(range(42))
    assert not np.array_equal(first[0][0], first[8][0])
    resumed = lm_data.batch_stream(chunks, 5, seed=7, start_step=11)  # epoch 1, batch 3
    for expected in first[11:20]:
        np.testing.assert_array_equal(next(resumed)[0], expected[0])


def test_too_small_corpus_is_a_clear_error():
    with pytest.raises(ValueError, match="corpus too small"):
        Split.of(np.zeros(500, dtype=np.uint8), seq_len=300, val_share=0.05, batch=100)


@pytest.mark.parametrize("change, message", [
    (dict(batch=0), "batch must be between"), (dict(seq_len=10**6), "seq len must be between"),
    (dict(learning_rate=-1.0), "learning rate"), (dict(layers=99), "layers"),
    (dict(epochs=None, steps=None), "epochs, a step budget or a time budget"), (dict(distribute="cluster"), "distribute"),
])
def test_config_validation(change, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(corpus="builtin", **change).validated()


def test_presets():
    demo = TrainConfig.from_preset("builtin", "demo")
    assert demo.max_seconds and demo.steps is None and demo.epochs is None  # the quick demo is a time budget
    tutorial = TrainConfig.from_preset("builtin", "tutorial")
    assert (tutorial.embedding, tutorial.units, tutorial.batch, tutorial.seq_len) == (128, 128, 100, 300)
    assert TrainConfig.from_preset("builtin", "tutorial", steps=7).epochs is None
    assert TrainConfig.from_preset("builtin", "demo", epochs=2).steps is None
    with pytest.raises(ValueError, match="unknown preset"):
        TrainConfig.from_preset("builtin", "huge")
    assert TrainConfig.from_json(demo.to_json()) == demo


def test_the_better_model_preset_is_five_minutes_with_a_decaying_rate_and_the_cli_keeps_it():
    from namuweb.cli import parser
    better = TrainConfig.from_preset("builtin", "better")
    assert (better.max_seconds, better.steps, better.epochs, better.schedule) == (300, None, None, "cosine")
    assert better.units > TrainConfig.from_preset("builtin", "demo").units  # wider than the quick demo's
    assert lm_settings.PRESET_NAMES[-1] == "custom" and set(lm_settings.PRESET_NAMES) == set(lm_settings.PRESET_LABELS)
    args = parser().parse_args(["train", "--corpus", "builtin", "--preset", "better"])
    assert args.schedule is None  # no --schedule given: the preset's cosine decay stands
    assert TrainConfig.from_preset("builtin", "better", schedule=args.schedule).schedule == "cosine"
    assert TrainConfig.from_preset("builtin", "better", schedule="constant").schedule == "constant"


def test_a_time_budget_alone_leaves_the_steps_unbounded_and_a_step_budget_replaces_it():
    timed = TrainConfig.from_preset("builtin", "tutorial", max_seconds=30)
    assert (timed.steps, timed.epochs, timed.max_seconds) == (None, None, 30)
    assert lm_settings.step_plan(timed, 10_000).total == lm_settings.UNBOUNDED_STEPS
    stepped = TrainConfig.from_preset("c", "demo", steps=100)  # the quick demo's own budget is a time budget
    assert (stepped.steps, stepped.epochs, stepped.max_seconds) == (100, None, None)
    with pytest.raises(ValueError, match="time budget"):
        TrainConfig(corpus="c", epochs=None, steps=None).validated()


def test_the_cosine_schedule_decays_to_a_tenth_over_the_budget():
    config = TrainConfig(corpus="c", learning_rate=0.01, schedule="cosine")
    rates = [lm_settings.scheduled_rate(config, done) for done in (0, 0.5, 1, 2)]
    assert rates == pytest.approx([0.01, 0.0055, 0.001, 0.001])
    assert lm_settings.scheduled_rate(TrainConfig(corpus="c", learning_rate=0.01), 0.7) == 0.01
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(corpus="c", schedule="step").validated()


def test_the_step_plan_counts_whole_batches_and_the_budget():
    tokens = 10 * 3 * 11 + 1 * 11 + 5  # 10 batches of 3 chunks of 11 tokens, one held out, a partial chunk dropped
    config = TrainConfig(corpus="c", epochs=3, steps=None, batch=3, seq_len=10, val_share=0.03)
    plan = lm_settings.step_plan(config, tokens)
    assert (plan.per_epoch, plan.total) == (10, 30) and plan.epoch_of(25) == (2, 5) and not plan.time_budget_only
    assert lm_settings.step_plan(config, tokens, workers=2).per_epoch == 5  # a global batch of two workers' batches
    budget = TrainConfig(corpus="c", epochs=None, steps=25, batch=3, seq_len=10, val_share=0.03)
    assert lm_settings.step_plan(budget, tokens).total == 25
    both = TrainConfig(corpus="c", epochs=2, steps=25, batch=3, seq_len=10, val_share=0.03)
    assert lm_settings.step_plan(both, tokens).total == 20  # whichever ends first


def test_model_is_the_tutorials_shape():
    model = lm_model.build_model(181, TrainConfig(corpus="c"))
    names = [layer.__class__.__name__ for layer in model.layers]
    assert names == ["InputLayer", "Embedding", "LSTM", "Dense"]
    assert model.output_shape == (None, None, 181)
    assert model.count_params() == 181 * 128 + 4 * 128 * (128 + 128 + 1) + 128 * 181 + 181


def test_tf_data_pipeline_shuffles_each_epoch_and_resumes_at_any_step():
    chunks = np.arange(70 * 30, dtype=np.int32).reshape(70, 30)  # chunk i starts with 30·i; 8 batches of 8 per epoch

    def chunk_ids(pipeline, n):
        return [(x.numpy()[:, 0] // 30).tolist() for x, _ in pipeline.take(n)]

    x, y = next(iter(lm_data.training_data(chunks, 8, seed=5)))
    assert x.shape == y.shape == (8, 29) and x.dtype.name == "int32"
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    run = chunk_ids(lm_data.training_data(chunks, 8, seed=5), 24)
    epochs = [sum(run[8 * e:8 * e + 8], []) for e in range(3)]
    assert all(len(set(epoch)) == 64 for epoch in epochs)  # 64 distinct chunks of 70 (the remainder dropped)
    assert epochs[0] != epochs[1] != epochs[2]  # a new order every epoch
    assert chunk_ids(lm_data.training_data(chunks, 8, seed=5, start_step=11), 13) == run[11:24]
    assert chunk_ids(lm_data.training_data(chunks, 8, seed=6), 8) != run[0:8]


def test_a_large_token_file_is_read_a_batch_at_a_time_with_the_same_batches(tmp_path, monkeypatch):
    """Past the in-memory size the rows come from the file (not a tensor copy of it), in the same order."""
    ids = np.random.default_rng(0).integers(0, 150, size=97 * 31 + 5).astype(np.uint8)
    ids.tofile(tmp_path / "tokens.u8")
    mapped = np.memmap(tmp_path / "tokens.u8", dtype=np.uint8, mode="r")
    split = lm_data.Split.of(mapped, 30, 0.1, 8)  # what the trainer passes: a view of the memory map
    in_memory = lm_data.training_data(np.array(split.train), 8, seed=3, start_step=5)
    reads = []
    real_reader = lm_data._row_reader
    monkeypatch.setattr(lm_data, "_row_reader", lambda *a: (lambda indices: reads.append(len(indices))
                                                           or real_reader(*a)(indices)))
    monkeypatch.setattr(lm_data, "TABLE_IN_MEMORY_BYTES", 0)
    from_file = lm_data.training_data(split.train, 8, seed=3, start_step=5)
    for (x1, y1), (x2, y2) in zip(in_memory.take(20), from_file.take(20)):  # past an epoch's end
        np.testing.assert_array_equal(x1.numpy(), x2.numpy())
        np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    assert reads and set(reads) == {8}, "the batches did not come from the file, a batch at a time"


def test_validation_sample_is_bounded_and_spread_over_the_held_out_part():
    chunks = np.arange(1000 * 11).reshape(1000, 11)
    sample = lm_data.validation_sample(chunks, tokens=500)
    assert len(sample) == 50 and sample[0, 0] == 0 and sample[-1, 0] == chunks[-1, 0]
    assert len(lm_data.validation_sample(chunks[:3], tokens=500)) == 3


def test_token_file_holds_the_corpus_ids(tmp_path):
    from namuweb.text.hangul import decompose
    from namuweb.text.vocab_report import report as vocab_report
    text = "가나다 abc\n한국어 ㅋㅋ 뷁 ᴥ 😀\n" * 1000  # syllables with and without a final, jamo, a literal ᴥ, an emoji
    vocab = vocab_report(text).vocab
    ids = lm_data.encode_to_file(text, vocab, tmp_path / "tokens.bin")
    assert isinstance(ids, np.memmap) and ids.dtype == vocab.dtype
    np.testing.assert_array_equal(ids, vocab.encode(decompose(text, marker="replace")))
    rare = vocab_report(text, min_count=1001).vocab  # only the frequent tokens, the rest as <unk>
    np.testing.assert_array_equal(lm_data.encode_to_file(text, rare, tmp_path / "rare.bin"),
                                  rare.encode(decompose(text, marker="replace")))
