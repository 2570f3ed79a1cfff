import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namuweb import charts

from namuweb.corpora import corpus

from namuweb.language_model import generate, runs, trainer
from namuweb.language_model.settings import TrainConfig
from namuweb.language_model.decoding import draw, probabilities
from namuweb.language_model.generate import PreparedStart, prepare_start
from namuweb.text import hangul
from namuweb.text.vocab import Vocabulary
from namuweb.text.vocab_report import report as vocab_report
from library_texts import add_text

TEXT = "한국에서는 나무위키 말뭉치를 만들어보자. 가나다라 마바사.\n" * 200


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A tiny two-layer model trained for a few steps (shared by this module's tests)."""
    home = tmp_path_factory.mktemp("generate-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMUWEB_HOME", str(home))
        source = add_text(TEXT.encode("utf-8"), "tiny.txt")
        config = TrainConfig(corpus=source.id, preset="custom", embedding=12, units=16, layers=2, dropout=0.1,
                             batch=8, seq_len=20, learning_rate=0.02, epochs=None, steps=15).validated()
        run_dir = runs.create_run(config)
        trainer.train(run_dir)
    return run_dir


def test_numpy_step_matches_the_keras_model(trained_run):
    import keras
    latest = runs.Run(trained_run).latest_checkpoint()
    model = keras.models.load_model(runs.Run(trained_run).checkpoints_dir / latest["file"])
    gen = generate.load_generator(trained_run)
    tokens = np.random.default_rng(0).integers(0, gen.vocab.size, size=(3, 25))
    expected = np.asarray(model(tokens, training=False))
    state = gen.model.initial_state(3)
    got = np.stack([gen.model.step(tokens[:, t], state) for t in range(tokens.shape[1])], axis=1)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_generator_is_cached_per_checkpoint(trained_run):
    assert generate.load_generator(trained_run) is generate.load_generator(trained_run)


def test_same_seed_same_text_and_other_seed_other_text(trained_run):
    gen = generate.load_generator(trained_run)
    a = gen.generate("한국", 80, 1.0, seed=7)[0].text
    assert a == gen.generate("한국", 80, 1.0, seed=7)[0].text
    assert a != gen.generate("한국", 80, 1.0, seed=8)[0].text


def test_temperature_zero_is_greedy_whatever_the_seed(trained_run):
    gen = generate.load_generator(trained_run)
    texts = {gen.generate("한국", 60, 0.0, seed=s)[0].text for s in range(3)}
    assert len(texts) == 1


@pytest.mark.parametrize("length", [1, 7, 50, 200])
def test_length_counts_output_characters(trained_run, length):
    [sample] = generate.load_generator(trained_run).generate("한국에서는", length, 1.0, seed=3)
    assert len(sample.continuation) == length
    assert sample.text == "한국에서는" + sample.continuation
    assert sample.continuation == generate.hangul.compose(sample.stream)


def test_samples_in_one_batch_each_use_their_own_temperature(trained_run):
    gen = generate.load_generator(trained_run)
    greedy = gen.generate("나무", 40, 0.0, seed=1)[0].text
    *_, last = gen.stream("나무", 40, [0.0, 1.5], seed=1)
    assert last[0].text == greedy
    assert last[1].text != greedy


def test_stream_yields_growing_text(trained_run):
    snapshots = [s[0].continuation for s in generate.load_generator(trained_run).stream("한", 120, [1.0], seed=2)]
    assert len(snapshots) > 3
    final = snapshots[-1]
    assert len(final) == 120
    for snapshot in snapshots[:-1]:  # all but a syllable still being spelled is already final
        stable = max(len(snapshot) - 3, 0)
        assert final[:stable] == snapshot[:stable] or len(final) < stable
    assert len(snapshots[len(snapshots) // 2]) < len(snapshots[-2])


def test_unknown_start_characters_are_named_and_skipped(trained_run):
    gen = generate.load_generator(trained_run)
    prepared = prepare_start("😀한국Q", gen.vocab)
    assert prepared.missing == ["Q", "😀"] and not prepared.mapped_to_unk
    assert prepared.text == "한국"
    [sample] = gen.generate("😀한국Q", 20, 1.0, seed=1)
    assert sample.text.startswith("한국") and len(sample.continuation) == 20


def test_unknown_start_characters_map_to_unk_when_the_model_has_one():
    vocab = vocab_report("가가가가 나", min_count=2).vocab
    prepared = prepare_start("나😀", vocab)
    assert prepared.mapped_to_unk and "😀" in prepared.missing
    assert vocab.unk_id in prepared.ids


def test_empty_or_unknown_only_start_begins_at_a_newline():
    vocab = Vocabulary(chars=["\n", "ㄱ", "ㅏ", "ᴥ"], counts=[1, 1, 1, 1])
    assert prepare_start("", vocab) == PreparedStart(text="", ids=[0])
    emoji_only = prepare_start("😀", vocab)
    assert emoji_only.ids == [0] and emoji_only.missing == ["😀"]


_TOKENS = st.sampled_from(["ㄱ", "ㅏ", "ㄴ", "ㅎ", "ㅗ", "ㅇ", "ㄺ", "ᴥ", " ", "\n", "a", "1", "\ufffd", "."])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_TOKENS, max_size=12), max_size=30))
def test_a_samples_text_read_as_it_grows_is_the_composed_stream(chunks):
    """The incremental text equals composing the whole stream, however the tokens arrive."""
    sample = generate.Sample(start="앞")
    for chunk in chunks:
        sample.tokens.extend(chunk)
        assert sample.continuation == hangul.compose(sample.stream)
    assert sample.text == "앞" + hangul.compose(sample.stream)
    sample.replace_tokens(list("ㄴㅏᴥ"))
    assert sample.continuation == "나"


def test_draw_follows_the_probabilities_at_each_temperature():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05], dtype=np.float32))
    for temperature in (0.5, 1.0, 1.7):
        rng = np.random.default_rng(0)
        counts = np.bincount([draw(logits, temperature, rng) for _ in range(20_000)], minlength=4) / 20_000
        assert np.abs(counts - probabilities(logits, temperature)).max() < 0.015, (temperature, counts)
    rng = np.random.default_rng(0)
    assert {draw(logits, 0.0, rng) for _ in range(50)} == {0}
    assert {draw(logits, 1.0, rng, top_k=2) for _ in range(500)} == {0, 1}


def test_probabilities_temperature_top_k_top_p():
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    assert probabilities(logits, 0.0).tolist() == [1.0, 0.0, 0.0, 0.0]
    plain, cold, hot = probabilities(logits, 1.0), probabilities(logits, 0.5), probabilities(logits, 2.0)
    assert plain.sum() == pytest.approx(1.0)
    assert cold[0] > plain[0] > hot[0]
    top2 = probabilities(logits, 1.0, top_k=2)
    assert np.count_nonzero(top2) == 2 and top2.sum() == pytest.approx(1.0)
    nucleus = probabilities(logits, 1.0, top_p=0.7)
    assert np.count_nonzero(nucleus) == 2  # 0.61 < 0.7 needs the second token too
    assert probabilities(logits, 1.0, top_p=0.5).tolist()[0] == pytest.approx(1.0)


def test_teaching_table_shows_both_temperatures(trained_run):
    rows = generate.load_generator(trained_run).next_token_table("한국", 0.5)
    assert len(rows) == 10
    assert {"token", "temperature 1", "your temperature 0.5"} <= set(rows[0])
    assert sum(r["your temperature 0.5"] for r in rows) <= 1.0 + 1e-9
    assert rows[0]["your temperature 0.5"] >= rows[0]["temperature 1"]  # the favourite gains when colder
    spec = charts.next_token_chart(rows).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["temperature 1", "your temperature 0.5"]
    same = generate.load_generator(trained_run).next_token_table("한국", 1.0)
    assert same[0]["temperature 1"] == pytest.approx(same[0]["your temperature 1"])
    pickable = charts.next_token_chart(rows, pickable=True).to_dict()
    [pick] = pickable["params"]  # Altair lifts a layer's selection to the top, naming its view
    assert pick["name"] == "pick" and pick["select"] == {"type": "point", "fields": ["token"], "on": "click",
                                                         "clear": False}
    assert pick["views"] == [layer["name"] for layer in pickable["layer"] if "name" in layer]


def test_picked_tokens_carry_on_the_text_and_the_models_state(trained_run):
    gen = generate.load_generator(trained_run)
    assert gen.written("한국", list("ㅇㅔᴥㅅ")) == "한국에ㅅ"
    picked = gen.next_token_table("한국", 1.0, after=list("ㅇㅔᴥ"))
    typed = gen.next_token_table("한국에", 1.0)  # the same tokens, typed instead of picked
    assert [r["token"] for r in picked] == [r["token"] for r in typed]
    assert picked[0]["temperature 1"] == pytest.approx(typed[0]["temperature 1"])


def test_usable_runs_need_a_checkpoint(isolated_home):
    empty = runs.create_run(TrainConfig.from_preset("builtin", "demo"))
    assert generate.usable_runs() == []
    with pytest.raises(runs.RunError, match="no checkpoint"):
        generate.load_generator(empty)


def test_cli_prints_the_same_text_for_the_same_seed(trained_run, capsys):
    from namuweb.cli import main
    assert main(["generate", "--run", str(trained_run), "--start", "한국", "--length", "40", "--seed", "5",
                 "--temperature", "0.7"]) == 0
    printed = capsys.readouterr().out.strip()
    expected = generate.load_generator(trained_run).generate("한국", 40, 0.7, seed=5)[0].text
    assert printed == expected.strip()
    assert main(["generate", "--run", str(trained_run), "--temperature", "9"]) == 2
    assert "--temperature" in capsys.readouterr().err


# --- decoding (issue 33): whole syllables, the repetition penalty, the n-gram ban, stops ------------------

from namuweb.language_model import decoding  # noqa: E402
from namuweb.language_model.decoding import Decoding, loose_jamo, repeated_ngram_share, syllable_ngrams  # noqa: E402


def test_the_mask_leaves_no_loose_jamo_even_at_temperature_1_5(trained_run):
    """Many seeds of a barely trained model at a high temperature: without the mask it writes loose jamo,
    with it (the default) never one, and no syllable is left open at the end."""
    gen = generate.load_generator(trained_run)
    loose = {True: 0, False: 0}
    for seed in range(12):
        for well_formed in (True, False):
            for sample in gen.generate("한국", 150, 1.5, samples=4, seed=seed, decoding=Decoding(well_formed)):
                loose[well_formed] += loose_jamo(sample.continuation)
                if well_formed:
                    assert len(sample.continuation) == 150
                    assert sample.continuation == hangul.compose(sample.stream)
                    assert not sample.tokens or sample.tokens[-1] not in generate._jamo(), "a syllable left open"
    assert loose[True] == 0
    assert loose[False] > 0, "the unmasked model at 1.5 writes loose jamo: the test would prove nothing"


def test_the_mask_is_the_default_and_holds_with_top_k_top_p_and_greedy(trained_run):
    gen = generate.load_generator(trained_run)
    assert gen.generate("한국", 80, 1.2, seed=4)[0].text == gen.generate("한국", 80, 1.2, seed=4,
                                                                        decoding=Decoding())[0].text
    for temperature, top_k, top_p in [(0.0, 0, 1.0), (1.5, 5, 1.0), (1.5, 0, 0.8), (2.0, 3, 0.9)]:
        for seed in range(4):
            [sample] = gen.generate("나무", 100, temperature, seed=seed, top_k=top_k, top_p=top_p)
            assert loose_jamo(sample.continuation) == 0, (temperature, top_k, top_p, sample.stream)


def _random_generator(text: str, *, tokenizer: str = "jamo", min_count: int = 1, unk_logit: float = 0.0,
                      seed: int = 0) -> generate.Generator:
    """A generator with random weights over ``text``'s vocabulary: wild odds, the worst case for a grammar."""
    from namuweb.text.vocab_report import report
    vocab = report(text, min_count=min_count, jamo=tokenizer == "jamo").vocab
    rng = np.random.default_rng(seed)
    size, units = vocab.size, 16
    bias = np.zeros(size, np.float32)
    if vocab.unk:
        bias[vocab.unk_id] = unk_logit
    weights = generate.Weights(
        embedding=rng.normal(size=(size, 8)).astype(np.float32),
        lstm=[(rng.normal(size=(8, 4 * units)).astype(np.float32),
               rng.normal(size=(units, 4 * units)).astype(np.float32), np.zeros(4 * units, np.float32))],
        dense=(rng.normal(size=(units, size)).astype(np.float32) * 3, bias))
    return generate.Generator(weights, vocab)


def test_unk_is_never_drawn_under_the_mask():
    gen = _random_generator("가나다라 마바사 😀 " * 3 + "한국 닭 값 없다", min_count=2, unk_logit=6.0)
    assert gen.vocab.unk
    masked = gen.generate("한국", 200, 1.0, seed=1)[0].continuation
    unmasked = gen.generate("한국", 200, 1.0, seed=1, decoding=Decoding(well_formed=False))[0].continuation
    assert hangul.REPLACEMENT not in masked and loose_jamo(masked) == 0
    assert hangul.REPLACEMENT in unmasked, "the model favours <unk>: without the mask it writes it"


def test_a_character_model_is_left_as_it_is():
    gen = _random_generator("한국에서는 나무위키 말뭉치를 만들어보자. 닭 값 없다", tokenizer="char")
    assert gen.vocab.tokenizer == "char"
    for seed in range(3):
        assert (gen.generate("한국", 100, 1.3, seed=seed)[0].text
                == gen.generate("한국", 100, 1.3, seed=seed, decoding=Decoding(well_formed=False))[0].text)


def test_a_start_text_ending_in_a_first_jamo_has_that_syllable_finished():
    gen = _random_generator("한국에서는 나무위키 말뭉치를 만들어보자. 닭 값 없다")
    for seed in range(5):
        [sample] = gen.generate("한국ㅇ", 30, 1.0, seed=seed)
        assert sample.text.startswith("한국") and sample.text == sample.start + sample.continuation
        assert hangul.is_syllable(sample.text[2]) and hangul.decompose(sample.text[2])[0] == "ㅇ", sample.text
        assert loose_jamo(sample.text) == 0 and len(sample.continuation) == 30


def test_the_repetition_penalty_divides_a_positive_logit_and_multiplies_a_negative_one():
    """Hugging Face's rule, at the token that decides a syllable: after ``가나`` and the jamo ``ㄱㅏ``, ``ᴥ``
    would write 가 again (penalised), the final ``ㄱ`` would write 각 (new: left alone)."""
    symbols = ["\n", " ", "ㄱ", "ㄴ", "ㅏ", hangul.MARK]
    start = [symbols.index(t) for t in hangul.decompose("가나") + "ㄱㅏ"]
    mark, final = symbols.index(hangul.MARK), symbols.index("ㄱ")

    def greedy(theta: float, mark_logit: float, final_logit: float) -> str:
        decoder = decoding.Decoder(symbols, "jamo", Decoding(repetition_penalty=theta), [0.0],
                                   np.random.default_rng(0), start=start)
        logits = np.full((1, len(symbols)), -5.0, np.float32)
        logits[0, mark], logits[0, final] = mark_logit, final_logit
        return symbols[decoder.pick(logits)[0]]
    assert greedy(1.0, 2.0, 1.8) == hangul.MARK
    assert greedy(1.2, 2.0, 1.8) == "ㄱ"            # 2.0 / 1.2 = 1.67 < 1.8
    assert greedy(1.2, 2.0, 1.6) == hangul.MARK     # 1.67 > 1.6
    assert greedy(1.2, -1.0, -1.1) == "ㄱ"          # -1.0 × 1.2 = -1.2 < -1.1
    assert greedy(1.2, -1.0, -1.3) == hangul.MARK   # -1.2 > -1.3


def test_the_repetition_penalty_makes_a_looping_model_repeat_itself_less(trained_run):
    """The tiny model, at a cold temperature, repeats a few syllables; a strong penalty breaks the repeats."""
    gen = generate.load_generator(trained_run)
    plain = [s.repeated_4gram_share for s in gen.generate("한국", 200, 0.3, samples=4, seed=2)]
    penalised = [s.repeated_4gram_share for s in gen.generate("한국", 200, 0.3, samples=4, seed=2,
                                                              decoding=Decoding(repetition_penalty=3.0))]
    assert np.mean(penalised) < np.mean(plain), (plain, penalised)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_no_repeat_ngram_never_repeats_a_syllable_ngram(trained_run, n):
    gen = generate.load_generator(trained_run)
    for seed, temperature in [(0, 0.0), (1, 0.3), (2, 0.7), (3, 1.0)]:
        for sample in gen.generate("한국", 150 if n > 1 else 40, temperature, samples=2, seed=seed,
                                   decoding=Decoding(no_repeat_ngram=n)):
            grams = syllable_ngrams(sample.text, n)
            assert len(grams) == len(set(grams)), (n, sample.text)
            assert loose_jamo(sample.text) == 0
            if n == 4:
                assert sample.repeated_4gram_share == 0.0
    looping = gen.generate("한국", 150, 0.3, seed=1)[0].text  # a cold temperature: the tiny model repeats itself
    assert len(set(syllable_ngrams(looping, n))) < len(syllable_ngrams(looping, n)), "without the ban it repeats"


def test_repeated_ngram_share_counts_ngrams_that_end_in_a_syllable():
    assert repeated_ngram_share("가나다라가나다라") == pytest.approx(2 / 5)
    assert repeated_ngram_share("가나 다라") == 0.0
    assert repeated_ngram_share("abcabcabc") == 0.0 and repeated_ngram_share("가나") == 0.0
    assert repeated_ngram_share("하하하하하하") == 1.0
    assert generate.Sample(start="앞", tokens=list(hangul.decompose("가나다라가나다라"))).repeated_4gram_share == \
        pytest.approx(0.4)


def test_stop_at_the_end_of_a_sentence_or_a_line(trained_run):
    """The tiny model's one line ends in ``.`` and a new line: each sample ends there, the white space unwritten."""
    gen = generate.load_generator(trained_run)
    ends = {"sentence": [], "line": []}
    for seed in range(6):
        for stop in ends:
            for sample in gen.generate("한국", 300, 0.8, samples=2, seed=seed, decoding=Decoding(stop_at=stop)):
                text = sample.continuation
                ends[stop].append(len(text) < 300)
                assert loose_jamo(text) == 0
                if stop == "line":
                    assert "\n" not in text.lstrip(), text
                else:
                    body = text.rstrip("".join(decoding.CLOSERS))
                    assert not any(text[i] in decoding.SENTENCE_ENDS and text[i + 1].isspace()
                                   for i in range(len(text) - 1)), text
                    if len(text) < 300:
                        assert body[-1] in decoding.SENTENCE_ENDS, text
    assert any(ends["sentence"]) and any(ends["line"]), "no sample stopped: the test would prove nothing"


def test_bad_decoding_options_are_refused_in_one_line():
    for bad in (Decoding(repetition_penalty=0.5), Decoding(no_repeat_ngram=-1), Decoding(stop_at="word")):
        with pytest.raises(decoding.DecodingError):
            bad.validated()
    assert Decoding.from_dict(Decoding(False, 1.3, 3, "line").to_dict()) == Decoding(False, 1.3, 3, "line")
    assert Decoding.from_dict(None) == Decoding()


def test_cli_decoding_flags_give_the_generators_text(trained_run, capsys):
    from namuweb.cli import main
    base = ["generate", "--run", str(trained_run), "--start", "한국", "--length", "60", "--seed", "5"]
    gen = generate.load_generator(trained_run)
    for flags, options in [(["--no-mask", "--temperature", "1.6"], Decoding(well_formed=False)),
                           (["--repetition-penalty", "1.3", "--no-repeat-ngram", "3", "--stop-at", "line"],
                            Decoding(repetition_penalty=1.3, no_repeat_ngram=3, stop_at="line")),
                           (["--stop-at", "sentence"], Decoding(stop_at="sentence"))]:
        assert main(base + flags) == 0
        temperature = 1.6 if "--no-mask" in flags else 0.8
        expected = gen.generate("한국", 60, temperature, seed=5, decoding=options)[0].text
        assert capsys.readouterr().out.strip() == expected.strip(), flags
    assert main(base + ["--repetition-penalty", "0.5"]) == 2
    assert "repetition penalty" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(base + ["--stop-at", "word"])


def test_the_default_path_draws_from_the_masked_renormalised_odds():
    """The sampler's own draw (the Gumbel-max trick, noise a block at a time) follows softmax(logits / T)
    over the tokens the grammar allows, renormalised, at each temperature; <unk> and loose jamo get nothing."""
    symbols = [" ", ".", "ㄱ", "ㅏ", hangul.MARK, hangul.REPLACEMENT]   # between syllables: space, stop, initial
    logits = np.log(np.array([[0.3, 0.1, 0.2, 0.15, 0.05, 0.2]], dtype=np.float32))
    allowed = np.array([True, True, True, False, False, False])
    for temperature, batch in ((0.5, [0.5]), (1.0, [1.0]), (1.7, [1.7, 0.0])):  # the last: a greedy sample beside
        decoder = decoding.Decoder(symbols, "jamo", Decoding(), batch, np.random.default_rng(0), unk_id=5)
        counts = np.zeros(len(symbols))
        greedy_picks = set()
        for _ in range(20_000):
            decoder.states[:] = [0] * len(batch)  # stay between syllables: every draw from the same odds
            picked = decoder.pick(np.repeat(logits, len(batch), axis=0))
            counts[picked[0]] += 1
            greedy_picks.update(symbols[p] for p in picked[1:])
        assert greedy_picks <= {" "}
        expected = np.where(allowed, probabilities(logits[0], temperature), 0.0)
        expected /= expected.sum()
        assert np.abs(counts / counts.sum() - expected).max() < 0.015, (temperature, counts / counts.sum(), expected)
    greedy = decoding.Decoder(symbols, "jamo", Decoding(), [0.0], np.random.default_rng(0))
    assert {symbols[greedy.pick(logits)[0]] for _ in range(5)} == {" "}
