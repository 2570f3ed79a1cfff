"""Issue 34, neighbours worth reading: the content-word filter (in the vectors and on the Neighbours tab), the
neighbours chart that labels every bar, the pair scatter that names its points, the built-in Korean word
pairs, the tagger of the one-click build and the line that says which tagger and tagset made a set of vectors."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120

# A hand-made vocabulary in Kiwi's tagset where the words nearest 영화 are a particle, a bound noun and a full
# stop (as on real text, where they occur beside everything), and the content words come after them.
NEAR_FILM = {
    "영화/NNG": [1.0, 0.0, 0.0],
    "이/JKS": [0.99, 0.1, 0.0],
    "것/NNB": [0.97, 0.2, 0.0],
    "./SF": [0.95, 0.3, 0.0],
    "작품/NNG": [0.8, 0.6, 0.0],
    "보/VV": [0.6, 0.8, 0.0],
    "다/EF": [0.5, 0.85, 0.0],
    "하늘/NNG": [0.0, 0.3, 1.0],
}


def near_film():
    from namuweb.embeddings.vectors import Embeddings
    words = list(NEAR_FILM)
    return Embeddings(words, list(range(len(words), 0, -1)), np.array([NEAR_FILM[w] for w in words], np.float32))


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "app_pages" / "embeddings.py"), default_timeout=TIMEOUT)


def imported(tmp_path, vectors, name: str = "v.txt"):
    from namuweb.embeddings import embedding_library
    (tmp_path / name).write_bytes(vectors.word2vec_text())
    return embedding_library.import_file((tmp_path / name).read_bytes(), name)


def neighbour_words(at: AppTest) -> list[str]:
    return next(d.value for d in at.dataframe if "cosine" in d.value.columns)["word"].tolist()


def content_toggle(at: AppTest):
    return next(t for t in at.toggle if t.label == "Content words only")


# --- the filter ------------------------------------------------------------------------------------


def test_the_content_filter_removes_particles_endings_symbols_and_bound_nouns_from_the_neighbours():
    vectors = near_film()
    assert [w for w, _ in vectors.neighbors("영화", k=3)] == ["이/JKS", "것/NNB", "./SF"]
    assert [w for w, _ in vectors.neighbors("영화", k=3, content_only=True)] == ["작품/NNG", "보/VV", "하늘/NNG"]
    # fewer content words than asked: all there are, nothing else
    assert [w for w, _ in vectors.neighbors("영화", k=10, content_only=True)] == ["작품/NNG", "보/VV", "하늘/NNG"]
    # the query itself may be any word, and the tag filter still narrows the content words
    assert [w for w, _ in vectors.neighbors("이", k=2, content_only=True)] == ["영화/NNG", "작품/NNG"]
    assert [w for w, _ in vectors.neighbors("영화", k=5, tag="VV", content_only=True)] == ["보/VV"]
    # similarity and analogies are not filtered
    assert vectors.similarity("영화", "이") > 0.99
    assert "이/JKS" in [w for w, _ in vectors.analogy(["영화"], [], k=3)]


def test_untagged_vectors_have_no_content_words_to_filter_by():
    from namuweb.embeddings.vectors import Embeddings
    plain = Embeddings(["영화", "작품", "이"], [3, 2, 1], np.eye(3, dtype=np.float32))
    assert not plain.has_content_tags() and near_film().has_content_tags()


# --- the Neighbours tab ----------------------------------------------------------------------------


def test_neighbours_tab_shows_content_words_by_default_and_everything_when_the_toggle_is_off(tmp_path):
    vectors = near_film()
    imported(tmp_path, vectors)
    at = page().run()
    at.selectbox(key="query").set_value("영화/NNG").run()
    assert not at.exception
    assert content_toggle(at).value is True and not content_toggle(at).disabled
    assert neighbour_words(at) == ["작품/NNG", "보/VV", "하늘/NNG"]
    assert at.session_state["highlight"] == ["영화/NNG", "작품/NNG", "보/VV", "하늘/NNG"]  # the map rings these
    content_toggle(at).set_value(False).run()
    assert not at.exception
    assert neighbour_words(at) == [w for w, _ in vectors.neighbors("영화/NNG", k=10)]
    assert neighbour_words(at)[:3] == ["이/JKS", "것/NNB", "./SF"]
    bars = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart")
                if json.loads(c.proto.spec).get("title") == "Nearest words")
    assert bars["height"] == {"step": 22}  # the chart follows the table: seven bars


def test_neighbours_tab_disables_the_toggle_and_says_why_for_untagged_vectors(tmp_path):
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(3)
    plain = Embeddings([f"낱말{i}" for i in range(30)], list(range(30, 0, -1)), rng.normal(size=(30, 6)).astype(np.float32))
    imported(tmp_path, plain)
    at = page().run()
    at.selectbox(key="query").set_value("낱말4").run()
    assert not at.exception
    assert content_toggle(at).disabled
    assert any("carry no part-of-speech tags" in c.value for c in at.caption)
    assert neighbour_words(at) == [w for w, _ in plain.neighbors("낱말4", k=10)]


# --- the charts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bars", [10, 100])
def test_the_neighbours_chart_labels_every_bar(bars):
    """A band per bar and no label thinning: with the default labelOverlap Vega-Lite hid every other word."""
    import pandas as pd
    from namuweb import charts
    rows = pd.DataFrame({"word": [f"말{i}/NNG" for i in range(bars)], "cosine": np.linspace(0.9, 0.1, bars)})
    spec = charts.neighbors_bars(rows).to_dict()
    axis = spec["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelLimit"] == 0
    assert spec["height"] == {"step": charts.NEIGHBOUR_BAR_PX} and charts.NEIGHBOUR_BAR_PX >= axis["labelFontSize"]


def test_the_pair_scatter_names_each_pair_on_hover():
    import pandas as pd
    from namuweb import charts
    pairs = pd.DataFrame([("영화", "작품", 8.5, 0.7), ("배우", "하늘", 0.5, 0.1)], columns=["a", "b", "gold", "cosine"])
    chart = charts.pair_scores(pairs)
    spec = chart.to_dict()
    assert spec["encoding"]["tooltip"][0]["field"] == "pair"
    assert chart.data["pair"].tolist() == ["영화 – 작품", "배우 – 하늘"]


# --- the built-in Korean word pairs ----------------------------------------------------------------


def test_the_built_in_korean_pairs_are_ours_and_well_formed():
    from namuweb.embeddings import evaluation
    text = evaluation.korean_word_pairs().decode("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("own judgement" in line for line in header)
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert len(rows) >= 60 and all(len(row) == 3 for row in rows)
    assert all(0 <= float(score) <= 10 for _, _, score in rows)
    assert all("/" not in a + b for a, b, _ in rows)  # bare words: either tagset matches
    assert len({(a, b) for a, b, _ in rows}) == len(rows)


def test_evaluate_with_the_built_in_korean_pairs_scores_them_and_names_the_pairs_it_could_not(tmp_path):
    """Through the uploads' evaluator path: the figures are evaluate_word_pairs' on the same vectors, the pairs
    out of vocabulary are named with their missing words, and the answer stays on the page on later runs."""
    from namuweb.embeddings import evaluation
    from namuweb.embeddings.vectors import Embeddings
    text = evaluation.korean_word_pairs().decode("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    known = sorted({w for a, b, _ in rows[:40] for w in (a, b)})  # the later pairs' new words are missing
    rng = np.random.default_rng(5)
    vectors = Embeddings([f"{w}/NNG" for w in known], list(range(len(known), 0, -1)),
                         rng.normal(size=(len(known), 8)).astype(np.float32))
    imported(tmp_path, vectors)
    at = page().run()
    at.button(key="evaluate_korean_pairs").click().run()
    assert not at.exception and not at.error
    expected = evaluation.evaluate_word_pairs(vectors, text.splitlines())
    metric = {m.label: m.value for m in at.metric}
    assert metric["Spearman"] == f"{expected.spearman:.3f}" and metric["Pairs scored"] == f"{expected.scored:,}"
    assert expected.unknown_count > 0
    missing = next(d.value for d in at.dataframe if "pair" in d.value.columns)
    assert missing["pair"].tolist() == [f"{a} – {b}" for a, b, _ in expected.unknown]
    assert missing["not in the vocabulary"].tolist() == [", ".join(words) for _, _, words in expected.unknown]
    at.run()  # a later run shows the same answer, from the cache
    assert {m.label: m.value for m in at.metric}["Spearman"] == f"{expected.spearman:.3f}"
    assert any("own judgement" in c.value for c in at.caption)


# --- which tagger made the vectors -----------------------------------------------------------------


def test_the_one_click_build_uses_the_tagger_chosen(monkeypatch):
    from namuweb import jobs
    from namuweb.embeddings import embedding_library
    engines = embedding_library.build_engines()
    if not engines:
        pytest.fail("neither Okt nor Kiwi can run here: the test environment installs both")
    started = []
    monkeypatch.setattr(jobs, "start", lambda kind, folder, **options: started.append((kind, folder)))
    at = page().run()
    picker = next(s for s in at.selectbox if s.label == "Tagger")
    assert picker.options == [analyzer_label(e) for e in engines]
    assert picker.value == embedding_library.default_engine() == engines[0]
    picker.set_value(engines[-1]).run()
    next(b for b in at.button if b.label == "Build embeddings from the built-in corpus").click().run()
    assert not at.exception
    [(kind, folder)] = started
    assert kind is embedding_library.BUILD
    assert embedding_library.BUILDS.read(folder)["engine"] == engines[-1]
    assert embedding_library.get(folder.name).meta["tagger"] == engines[-1]


def analyzer_label(engine: str) -> str:
    from namuweb.morphemes import analyzers
    return analyzers.LABELS[engine]


def test_okt_is_the_default_tagger_where_java_is_present_and_kiwi_otherwise(monkeypatch):
    from namuweb.embeddings import embedding_library
    from namuweb.morphemes import analyzers

    def only(*names):
        return lambda: [analyzers.EngineInfo(n, analyzers.LABELS[n], n in names, None, n in analyzers.JAVA_ENGINES)
                        for n in analyzers.ENGINES]
    monkeypatch.setattr(analyzers, "engines", only("okt", "kiwi", "komoran"))
    assert embedding_library.build_engines() == ["okt", "kiwi"] and embedding_library.default_engine() == "okt"
    monkeypatch.setattr(analyzers, "engines", only("kiwi"))
    assert embedding_library.build_engines() == ["kiwi"] and embedding_library.default_engine() == "kiwi"


def test_every_embedding_says_which_tagger_and_tagset_made_it(tmp_path):
    from namuweb import storage
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.vectors import Embeddings
    kiwi = near_film()
    entry = imported(tmp_path, kiwi, "kiwi.txt")
    assert entry.meta["tagset"] == "Sejong" and entry.meta["tags"][0] == "NNG"
    assert embedding_library.provenance(entry, kiwi).startswith("imported word2vec file; Sejong tags: NNG, ")
    plain = Embeddings(["영화", "작품"], [2, 1], np.eye(2, dtype=np.float32))
    assert embedding_library.provenance(imported(tmp_path, plain, "plain.txt"), plain) == \
        "imported word2vec file; no tags"

    folder = embedding_library.create_build(engine="kiwi")
    kiwi.save(folder)
    embedding_library.record_tagset(folder, kiwi)
    built = embedding_library.get(folder.name)
    assert embedding_library.provenance(built, kiwi).startswith("tagged by Kiwi (kiwipiepy) (Sejong tags: NNG, ")

    okt = Embeddings(["국민/Noun", "은/Josa", "하다/Verb"], [5, 4, 3], np.eye(3, dtype=np.float32))
    old = tmp_path / "old"  # meta written before the tagger and tagset were recorded
    storage.make_private_dirs(old)
    storage.write_json(old / embedding_library.META_FILE, {"name": "old", "source": "trained", "corpus_name": "법전"})
    line = embedding_library.provenance(embedding_library.Entry("old", old, storage.read_json(
        old / embedding_library.META_FILE), None), okt)
    assert line == "trained on “법전” (Okt tags: Noun, Josa, Verb)"


def test_the_page_says_which_tagset_the_vectors_use(tmp_path):
    from namuweb.embeddings import embedding_library
    from namuweb.literal_text import literal
    vectors = near_film()
    entry = imported(tmp_path, vectors)
    at = page().run()
    assert not at.exception
    line = embedding_library.provenance(entry, vectors)
    assert line.startswith("imported word2vec file; Sejong tags: NNG")
    assert literal(line) in [c.value for c in at.caption]  # shown as text, not Markdown


# --- the training defaults -------------------------------------------------------------------------


def test_subsampling_is_on_by_default_and_keeps_words_as_gensim_does():
    """word2vec's frequent-word subsampling: the same keep chance per word as gensim's (its ``sample_int`` is
    that chance × 2³²), at word2vec's threshold, which is the default."""
    from gensim.models import Word2Vec
    from namuweb.embeddings import skipgram
    defaults = skipgram.SkipGramConfig(corpus="c")
    assert defaults.subsample == 1e-3 and defaults.negatives == 5 and defaults.epochs == 5
    words = [f"w{i}" for i in range(200)]
    counts = [max(1, 20_000 // (i + 1)) for i in range(200)]  # Zipf-like: a few words far above the threshold
    sentences = [[word] * count for word, count in zip(words, counts)]
    model = Word2Vec(sentences, min_count=1, sample=defaults.subsample, vector_size=4, epochs=1, workers=1)
    theirs = np.array([model.wv.get_vecattr(word, "sample_int") / 2**32 for word in words])
    ours = skipgram.keep_probabilities(np.array(counts), defaults.subsample)
    assert ours[0] < 0.5 and ours[-1] == 1.0
    assert np.allclose(ours, theirs, atol=1e-6)
