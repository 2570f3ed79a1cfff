"""Skip-gram: the data pipeline's promises, the vectors' files, and that training learns."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from namuweb.corpora import corpus as corpus_library
from namuweb.embeddings import skipgram as sg
from namuweb.embeddings import vectors


def tagged_corpus(tmp_path, lines: list[str], name: str = "tagged test"):
    path = tmp_path / "tagged.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus_library.add_file(path, name, source="tagged", parent="builtin")


def planted_lines(seed: int = 0, sentences: int = 1500) -> list[str]:
    """'개' and '고양이' share one context vocabulary and never meet; '자동차' and '버스' share
    another; fillers ('을/Josa', './Punctuation') are everywhere."""
    rng = np.random.default_rng(seed)
    pets = [f"먹이{i}/Noun" for i in range(12)]
    roads = [f"도로{i}/Noun" for i in range(12)]
    lines = []
    for _ in range(sentences):
        if rng.random() < 0.5:
            centre, context = rng.choice(["개/Noun", "고양이/Noun"]), pets
        else:
            centre, context = rng.choice(["자동차/Noun", "버스/Noun"]), roads
        words = list(rng.choice(context, 4)) + ["을/Josa"]
        words.insert(int(rng.integers(0, 5)), str(centre))
        lines.append(" ".join(words + ["./Punctuation"]))
    return lines


def write_word2vec_binary(emb: vectors.Embeddings, path) -> None:
    """word2vec's binary format, as word2vec and gensim write it (namuweb reads it; it exports text): a text
    header, then ``word`` + space + float32 bytes + newline."""
    with open(path, "wb") as f:
        f.write(f"{len(emb.words)} {emb.vectors.shape[1]}\n".encode("utf-8"))
        for word, row in zip(emb.words, emb.vectors.astype("<f4")):
            f.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")


def small_embeddings() -> vectors.Embeddings:
    words = ["국민/Noun", "국가/Noun", "국민/Verb", "의/Josa", "왕", "여왕", "남자", "여자"]
    rng = np.random.default_rng(1)
    return vectors.Embeddings(words, [50, 40, 3, 100, 5, 4, 6, 7], rng.normal(size=(len(words), 8)).astype(np.float32))


# --- training ------------------------------------------------------------------


@pytest.mark.parametrize("shared", [32, 0], ids=["negatives shared per step", "negatives per pair"])
def test_planted_synonyms_are_each_others_nearest_neighbour(tmp_path, shared):
    found = tagged_corpus(tmp_path, planted_lines())
    config = sg.SkipGramConfig(corpus=found.id, dimensions=32, epochs=5, seed=3, subsample=0, shared_negatives=shared)
    progress = []
    emb = sg.train(config, tmp_path / "out", on_progress=progress.append)
    assert emb.neighbors("개/Noun", 1)[0][0] == "고양이/Noun"
    assert emb.neighbors("고양이", 1)[0][0] == "개/Noun"
    assert emb.neighbors("자동차", 1)[0][0] == "버스/Noun"
    assert emb.similarity("개", "고양이") > emb.similarity("개", "자동차") + 0.3
    rows = [json.loads(line) for line in (tmp_path / "out" / sg.LOSS_FILE).read_text().splitlines()]
    assert {"step", "epoch", "loss", "words_per_s", "time"} <= set(rows[-1])
    assert rows[-1]["epoch"] == 5 and rows[-1]["loss"] < rows[0]["loss"]
    assert progress and progress[-1]["total_steps"] >= progress[-1]["step"] > 0
    assert sg.SkipGramConfig.from_json(json.loads((tmp_path / "out" / sg.CONFIG_FILE).read_text())) == config
    assert vectors.Embeddings.load(tmp_path / "out").words == emb.words


def test_the_xla_compiled_loop_learns_the_same_planted_synonyms(tmp_path, monkeypatch):
    """Large corpora on a GPU train through XLA (``jit``); a tiny one is sent down that path here."""
    monkeypatch.setattr(sg, "compile_with_xla", lambda pairs: True)
    found = tagged_corpus(tmp_path, planted_lines(sentences=600))
    emb = sg.train(sg.SkipGramConfig(corpus=found.id, dimensions=16, epochs=5, seed=3, subsample=0), tmp_path / "out")
    assert emb.neighbors("개/Noun", 1)[0][0] == "고양이/Noun"
    assert emb.neighbors("자동차", 1)[0][0] == "버스/Noun"


def test_xla_is_for_large_runs_with_a_gpu():
    import tensorflow as tf
    assert not sg.compile_with_xla(10)
    # on a CPU the plain graph was faster at every size measured
    assert sg.compile_with_xla(10**9) == bool(tf.config.list_logical_devices("GPU"))


def test_a_skipgram_only_process_is_configured_before_tensorflow_starts():
    code = ("import os; from namuweb.embeddings import skipgram; skipgram.configure_process(); import tensorflow as tf; "
            "print(tf.config.threading.get_intra_op_parallelism_threads(), os.environ['TF_ENABLE_ONEDNN_OPTS'], "
            "tf.config.optimizer.get_experimental_options().get('disable_meta_optimizer'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.stdout.split() == ["1", "0", "True"], done.stderr[-2000:]


def test_configuring_a_process_where_tensorflow_already_runs_is_harmless(monkeypatch):
    import tensorflow as tf
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)  # restored after the test
    tf.constant(1.0) + 1.0  # TensorFlow has started: its thread pools are fixed
    before = tf.config.threading.get_intra_op_parallelism_threads()
    try:
        sg.configure_process()
        assert tf.config.threading.get_intra_op_parallelism_threads() == before
    finally:  # the rest of this test process keeps Grappler
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})


def test_drop_tags_and_min_count_shape_the_vocabulary(tmp_path):
    found = tagged_corpus(tmp_path, planted_lines(sentences=200) + ["희귀/Noun 개/Noun"])
    config = sg.SkipGramConfig(corpus=found.id, dimensions=8, epochs=1, drop_tags=("Josa", "Punctuation"))
    emb = sg.train(config, tmp_path / "out")
    assert "을/Josa" not in emb.index() and "./Punctuation" not in emb.index()
    assert "희귀/Noun" not in emb.index()  # once < min_count 2
    assert emb.counts == sorted(emb.counts, reverse=True)


def test_should_stop_stops_early_and_still_saves(tmp_path):
    found = tagged_corpus(tmp_path, planted_lines(sentences=3000))
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 2
    config = sg.SkipGramConfig(corpus=found.id, dimensions=8, epochs=50, batch=64)
    emb = sg.train(config, tmp_path / "out", should_stop=stop)
    rows = [json.loads(line) for line in (tmp_path / "out" / sg.LOSS_FILE).read_text().splitlines()]
    # asked before every call: the third answer stopped it after two calls of training
    assert len(calls) == 3
    assert rows, "the first call's loss was not logged"
    assert 0 < rows[-1]["step"] <= 2 * sg.steps_per_call(config.batch) and rows[-1]["epoch"] <= 2
    assert (tmp_path / "out" / vectors.VECTORS_FILE).is_file() and len(emb.words) > 10


def test_an_untagged_corpus_is_refused(tmp_path):
    found = tagged_corpus(tmp_path, ["그냥 평범한 문장 입니다"] * 5)
    with pytest.raises(ValueError, match="not tagged"):
        sg.train(sg.SkipGramConfig(corpus=found.id), tmp_path / "out")


# --- data ----------------------------------------------------------------------


def test_pairs_stay_in_window_and_sentence():
    lengths = [1, 7, 2, 12, 3]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ids = np.arange(sum(lengths))  # id = position, so a pair shows where its ends were
    sentence = np.repeat(np.arange(len(lengths)), lengths)
    centres, contexts = sg.pairs_for_epoch(ids, starts, 3, np.random.default_rng(0))
    assert len(centres) > 0
    assert np.all(sentence[centres] == sentence[contexts])
    gap = np.abs(centres - contexts)
    assert gap.min() == 1 and gap.max() == 3
    whole, _ = sg.pairs_for_epoch(ids, starts, 1, np.random.default_rng(0))
    assert len(whole) == sum(2 * (n - 1) for n in lengths)  # window 1: every neighbour, both ways


def test_dynamic_window_prefers_near_words():
    ids = np.arange(20_000)
    centres, contexts = sg.pairs_for_epoch(ids, np.array([0]), 4, np.random.default_rng(0))
    share = np.bincount(np.abs(centres - contexts), minlength=5)[1:] / 20_000 / 2
    assert np.allclose(share, [1, 0.75, 0.5, 0.25], atol=0.02)  # offset d survives when reach >= d


def test_subsampling_drops_frequent_words_at_the_expected_rate():
    counts = np.array([9000, 10])
    keep = sg.keep_probabilities(counts, 1e-2)
    t = 1e-2 * counts.sum()
    assert keep[0] == pytest.approx((np.sqrt(9000 / t) + 1) * t / 9000) and keep[0] < 0.5
    assert keep[1] == 1.0
    assert sg.keep_probabilities(counts, 0) is None
    # sentences "frequent rare": a pair exists iff the frequent word was kept
    n = 20_000
    ids = np.tile([0, 1], n)
    centres, _ = sg.pairs_for_epoch(ids, np.arange(0, 2 * n, 2), 1, np.random.default_rng(0), keep)
    assert len(centres) / 2 / n == pytest.approx(keep[0], abs=0.02)


def test_negatives_follow_the_three_quarter_power():
    counts = np.array([1000, 300, 100, 30, 10, 3, 2, 1])
    table = sg.negative_table(counts)
    expected = counts ** 0.75 / np.sum(counts ** 0.75)
    assert np.allclose(np.bincount(table, minlength=len(counts)) / len(table), expected, atol=1e-6)
    plain = counts / counts.sum()  # and it is not the plain unigram distribution
    assert not np.allclose(np.bincount(table, minlength=len(counts)) / len(table), plain, atol=1e-3)


# --- lookups and geometry ------------------------------------------------------


def test_find_resolves_bare_words_and_explains_unknown_ones():
    emb = small_embeddings()
    assert emb.find("국민") == "국민/Noun"  # the more frequent of 국민/Noun and 국민/Verb
    assert emb.find("국민/Verb") == "국민/Verb"
    with pytest.raises(vectors.UnknownWord) as error:
        emb.find("국밈")
    assert isinstance(error.value, KeyError)
    message = str(error.value)
    assert "'국밈' is not in the vocabulary" in message and "국민" in message and "\n" not in message
    with pytest.raises(KeyError, match="not in the vocabulary"):
        emb.neighbors("zzzz")


def test_tags():
    emb = small_embeddings()
    assert emb.tags() == ["Noun", "Noun", "Verb", "Josa", "", "", "", ""]


def test_neighbors_are_cosine_ranked_without_the_query():
    emb = small_embeddings()
    found = emb.neighbors("국민", k=3)
    unit = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    scores = unit[1:] @ unit[0]
    assert [w for w, _ in found] == [emb.words[1 + i] for i in np.argsort(-scores)[:3]]
    assert found[0][1] == pytest.approx(float(scores.max()), abs=1e-6)
    assert all(tag == "Noun" for w, _ in emb.neighbors("의", k=5, tag="Noun") for tag in [vectors.split_tag(w)[1]])
    assert len(emb.neighbors("의", k=5, tag="Noun")) == 2


def test_analogy_matches_gensim_semantics_and_excludes_inputs():
    emb = small_embeddings()
    result = emb.analogy(["왕", "여자"], ["남자"], k=10)
    assert not {"왕", "여자", "남자"} & {w for w, _ in result}
    assert len(result) == len(emb.words) - 3
    unit = emb.unit_vectors()
    i = emb.index()
    direction = unit[i["왕"]] + unit[i["여자"]] - unit[i["남자"]]
    direction /= np.linalg.norm(direction)
    assert result[0][1] == pytest.approx(max(float(unit[i[w]] @ direction) for w, _ in result), abs=1e-6)


def test_projection_is_pca_of_the_most_frequent_words():
    emb = small_embeddings()
    frame = emb.projection(n=5)
    assert list(frame.columns) == ["word", "tag", "count", "x", "y"]
    assert list(frame["count"]) == [100, 50, 40, 7, 6]
    assert frame.loc[0, "tag"] == "Josa"
    assert abs(frame["x"].mean()) < 1e-6 and frame["x"].var() >= frame["y"].var()
    with pytest.raises(ValueError, match="unknown projection"):
        emb.projection(method="mds")


# --- files ---------------------------------------------------------------------


def test_save_load_round_trip(tmp_path):
    emb = small_embeddings()
    emb.save(tmp_path / "emb")
    back = vectors.Embeddings.load(tmp_path / "emb")
    assert back.words == emb.words and back.counts == emb.counts
    assert np.array_equal(back.vectors, emb.vectors)
    assert not [p for p in (tmp_path / "emb").iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(FileNotFoundError, match="holds no embeddings"):
        vectors.Embeddings.load(tmp_path / "nothing")


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip(tmp_path, binary):
    emb = small_embeddings()
    path = tmp_path / ("v.bin" if binary else "v.txt")
    write_word2vec_binary(emb, path) if binary else path.write_bytes(emb.word2vec_text())
    back = vectors.read_word2vec(path)
    assert back.words == emb.words
    assert np.allclose(back.vectors, emb.vectors, atol=1e-6, rtol=0)
    assert back.counts == list(range(len(emb.words), 0, -1))


@pytest.mark.parametrize("binary", [False, True])
def test_reads_what_gensim_writes(tmp_path, binary):
    keyedvectors = pytest.importorskip("gensim.models.keyedvectors")
    emb = small_embeddings()
    kv = keyedvectors.KeyedVectors(emb.vectors.shape[1])
    kv.add_vectors(emb.words, emb.vectors)
    kv.save_word2vec_format(str(tmp_path / "g"), binary=binary)
    back = vectors.read_word2vec(tmp_path / "g")
    assert back.words == emb.words and np.allclose(back.vectors, emb.vectors, atol=1e-6, rtol=0)
    (tmp_path / "ours").write_bytes(emb.word2vec_text())  # the download: text only
    theirs = keyedvectors.KeyedVectors.load_word2vec_format(str(tmp_path / "ours"), binary=False)
    assert np.allclose(theirs["국민/Noun"], emb.vectors[0], atol=1e-6, rtol=0)


def test_read_word2vec_rejects_other_files(tmp_path):
    (tmp_path / "x").write_text("hello world\n")
    with pytest.raises(ValueError, match="not a word2vec file"):
        vectors.read_word2vec(tmp_path / "x")


def test_projector_files(tmp_path):
    emb = small_embeddings()
    vectors_tsv, metadata_tsv = emb.projector_tsv()
    (tmp_path / "vectors.tsv").write_bytes(vectors_tsv)
    vectors = vectors_tsv.decode("utf-8").splitlines()
    metadata = metadata_tsv.decode("utf-8").splitlines()
    assert len(vectors) == len(emb.words) and all(len(line.split("\t")) == 8 for line in vectors)
    assert metadata[0] == "word\ttag\tcount" and len(metadata) == len(emb.words) + 1
    assert metadata[1] == "국민/Noun\tNoun\t50" and metadata[5] == "왕\t\t5"
    assert np.allclose(np.loadtxt(tmp_path / "vectors.tsv", delimiter="\t"), emb.vectors, atol=1e-5)


# --- settings ------------------------------------------------------------------


@pytest.mark.parametrize("change, message", [
    ({"dimensions": 0}, "dimensions must be a whole number between 1 and 1000"),
    ({"window": 2.5}, "window must be a whole number"),
    ({"negatives": 50}, "negatives must be a whole number between 1 and 20"),
    ({"subsample": -0.1}, "subsample must be a number between 0 and 1"),
    ({"learning_rate": 5}, "learning rate must be"),
    ({"epochs": True}, "epochs must be"),
    ({"drop_tags": "Josa"}, "drop tags must be a list"),
    ({"corpus": ""}, "choose a tagged corpus"),
])
def test_config_validation(change, message):
    with pytest.raises(ValueError, match=message):
        sg.SkipGramConfig(**({"corpus": "c"} | change)).validated()


def test_config_json_round_trip():
    config = sg.SkipGramConfig(corpus="c", drop_tags=("Josa", "Punctuation"), window=3)
    data = json.loads(json.dumps(config.to_json()))
    assert data["drop_tags"] == ["Josa", "Punctuation"]
    assert sg.SkipGramConfig.from_json(data | {"unknown": 1}) == config


def test_a_word2vec_header_that_cannot_fit_the_file_is_refused_before_any_allocation(tmp_path):
    import tracemalloc
    from namuweb.embeddings import embedding_library
    tracemalloc.start()
    with pytest.raises(ValueError, match="100,000 words × 100,000 dimensions"):
        embedding_library.import_file(b"100000 100000\nx 1.0 2.0\n", "huge.txt")  # a 24-byte file
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000, f"{peak:,} bytes allocated for a refused header"


def test_a_binary_word2vec_file_is_read_without_holding_the_file_next_to_its_vectors(tmp_path):
    """Reading the body whole held the file twice over (its bytes and the vectors made of them)."""
    import tracemalloc
    words = [f"단어{i}" for i in range(40_000)]
    rng = np.random.default_rng(0)
    written = vectors.Embeddings(words, list(range(40_000, 0, -1)), rng.normal(size=(40_000, 200)).astype(np.float32))
    path = tmp_path / "big.bin"
    write_word2vec_binary(written, path)
    tracemalloc.start()
    back = vectors.read_word2vec(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert back.words == words and np.array_equal(back.vectors, written.vectors)
    assert peak < back.vectors.nbytes + 8_000_000, f"{peak:,} bytes for {back.vectors.nbytes:,} bytes of vectors"


def test_a_word2vec_file_with_one_endless_line_is_refused_without_reading_it_whole(tmp_path):
    """A file of 30 MB with no line break after its header: neither the text reader (one line at a time)
    nor the binary one (one word at a time) may hold it."""
    import tracemalloc
    path = tmp_path / "endless.txt"
    with path.open("wb") as f:
        f.write(b"2 4\n")
        for _ in range(30):
            f.write(b"x" * (1 << 20))
    tracemalloc.start()
    with pytest.raises(ValueError) as refused:
        vectors.read_word2vec(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000, f"{peak:,} bytes held to refuse it"
    assert f"word 1 is longer than {vectors.MAX_WORD_BYTES:,} bytes" in str(refused.value)


def test_querying_saved_vectors_needs_neither_the_trainer_nor_tensorflow(tmp_path):
    """Browsing embeddings (the page, ``neighbors``) goes through namuweb.embeddings.vectors alone."""
    embeddings = vectors.Embeddings(["국민/Noun", "나라/Noun", "사람/Noun"], [3, 2, 1],
                                    np.eye(3, 4, dtype=np.float32))
    embeddings.save(tmp_path)
    code = ("import sys; from namuweb.embeddings import vectors; e = vectors.Embeddings.load(sys.argv[1]); "
            "print(e.neighbors('국민/Noun', k=2)[0][0]); "
            "print(sorted(m for m in ('namuweb.embeddings.skipgram', 'tensorflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    first, loaded = done.stdout.strip().splitlines()
    assert first in {"나라/Noun", "사람/Noun"} and loaded == "[]"


def test_neighbour_overlap_measures_agreement_on_planted_clusters():
    """Twenty planted clusters of five words: a rotated, slightly noisy copy of the same geometry agrees
    fully; the same words with half the clusters' members swapped between clusters agree on the other half;
    shuffled vectors agree only by chance."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 16))
    words = [f"w{c}-{m}/Noun" for c in range(20) for m in range(5)]
    planted = np.repeat(centres, 5, axis=0) + 0.05 * rng.normal(size=(100, 16))
    first = vectors.Embeddings(words, [1] * 100, planted.astype(np.float32))
    rotation, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    rotated = vectors.Embeddings(words, [1] * 100, (planted @ rotation + 0.01 * rng.normal(size=(100, 16))).astype(np.float32))
    assert vectors.neighbour_overlap(first, rotated, words, k=4) == 1.0

    # clusters 10..19: their members' vectors dealt out so that no two share a cluster any more
    mixed = planted.copy()
    order = np.arange(50, 100).reshape(10, 5).T.ravel()
    mixed[50:] = planted[order]
    half = vectors.Embeddings(words, [1] * 100, mixed.astype(np.float32))
    agreement = vectors.neighbour_overlap(first, half, words[:50], k=4)
    assert agreement == 1.0 and vectors.neighbour_overlap(first, half, words[50:], k=4) < 0.2

    shuffled = vectors.Embeddings(words, [1] * 100, planted[rng.permutation(100)].astype(np.float32))
    assert vectors.neighbour_overlap(first, shuffled, words, k=4) < 0.15
    with pytest.raises(ValueError):
        vectors.neighbour_overlap(first, rotated, [])


@pytest.mark.engines  # Kiwi runs in this process
def test_a_build_tags_the_builtin_corpus_and_trains_on_it_as_one_job(isolated_home, capsys):
    """From nothing to vectors in one job with one bar: tagging fills its first half, training the rest."""
    from namuweb import cli, jobs
    from namuweb.embeddings import embedding_library
    seen = []
    folder = embedding_library.create_build(engine="kiwi")
    summary = jobs.run_here(embedding_library.BUILD, folder, show=seen.append)
    assert summary.endswith(f"dimensions in {folder}")
    assert {p.unit for p in seen} == {"%"} and seen[-1].done == 100
    tagging = [p for p in seen if p.message.startswith("tagging with Kiwi")]
    training = [p for p in seen if p.message.startswith("training")]
    assert tagging and training and max(p.done for p in tagging) <= 50 <= min(p.done for p in training)
    entry = embedding_library.get(folder.name)
    assert entry.ready and entry.status.state == "finished"
    tagged = corpus_library.get_corpus(entry.status.result["tagged"])
    assert tagged.source == "tagged" and tagged.parent == corpus_library.BUILTIN_ID  # kept in the library too
    assert embedding_library.load(entry).find("국민") == "국민/NNG"  # Kiwi's tagset

    assert cli.main(["build-embeddings", "--corpus", tagged.id]) == 2  # tagged already: train on it instead
    assert "is tagged already" in capsys.readouterr().err


class _Text:
    """What ``droppable_tags`` reads of a corpus: its chunks."""

    def __init__(self, text: str):
        self.text, self.asked = text, []

    def iter_chunks(self, chunk_chars: int):
        self.asked.append(chunk_chars)
        for start in range(0, len(self.text), chunk_chars):
            yield self.text[start:start + chunk_chars]


def test_the_tags_to_leave_out_are_the_corpus_own_okt_or_kiwi_ones():
    okt = _Text("고양이/Noun 가/Josa 밥/Noun 을/Josa 먹/Verb 었다/Eomi ./Punctuation 3/Number\n" * 10)
    assert sg.droppable_tags(okt) == (["Josa", "Punctuation", "Eomi", "Number"], ["Josa", "Punctuation"])
    kiwi = _Text("대한민국/NNP 은/JX 민주/NNG 공화국/NNG 이/VCP 다/EF ./SF\n국민/NNG 에게/JKB 있/VV 고/EC ,/SP\n")
    choices, dropped = sg.droppable_tags(kiwi)
    assert choices == ["JKB", "JX", "SF", "SP", "EC", "EF"] and dropped == ["JKB", "JX", "SF", "SP"]
    assert "Josa" not in choices  # no Okt tag offered for a Kiwi corpus


def test_the_tags_to_leave_out_come_from_the_corpus_beginning_not_a_cut_token():
    line = "./SF 는/JX 가/VV ㄴ다/EF\n"
    source = _Text(line * 100 + "끝/NNG 에/JKB\n")
    choices, _ = sg.droppable_tags(source, sample_chars=len(line) * 3 + 3)  # the fourth line cut after "./S"
    assert source.asked == [len(line) * 3 + 3]  # one chunk read, not the file
    assert choices == ["JX", "SF", "EF"]  # JKB comes later; "S" of the cut token is no tag of the corpus


def test_the_explorer_opens_on_a_bare_word_in_the_vectors_own_tagset_else_the_most_frequent():
    okt = vectors.Embeddings(["의/Josa", "대통령/Noun", "국민/Noun"], [9, 5, 3], np.ones((3, 2), np.float32))
    kiwi = vectors.Embeddings(["의/JKG", "국민/NNG"], [9, 3], np.ones((2, 2), np.float32))
    other = vectors.Embeddings(["a", "b", "c"], [1, 7, 2], np.ones((3, 2), np.float32))
    assert okt.example_word() == "국민/Noun" and kiwi.example_word() == "국민/NNG"
    assert other.example_word() == "b"  # no candidate: the most frequent word, wherever it stands
    assert okt.tagset() == ["Josa", "Noun"] and kiwi.tagset() == ["JKG", "NNG"] and other.tagset() == []
