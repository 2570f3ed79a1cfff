"""Security: ids never become paths outside the data directory, user text is never live HTML,
nothing is unpickled, and model files load only from the app's own runs with Keras safe mode."""

import ast
import functools
import json
import os
import string
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from namuweb import config, storage

from namuweb.corpora import corpus

from namuweb.embeddings import embedding_library

from namuweb.language_model import generate, run_folder, runs, session

from namuweb.morphemes import tag_display
from namuweb.language_model.settings import TrainConfig
from namuweb.literal_text import WORD_JOINER

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "namuweb").rglob("*.py"), *(ROOT / "app_pages").glob("*.py"), ROOT / "streamlit_app.py"])
HOSTILE_IDS = ["../evil", "..", ".", "", "a/b", "/etc", "evil/..", ".hidden", "x\x00y", "..\\evil", "~", 7, None]


# --- 5. ids from URLs, selectboxes and the CLI ------------------------------------------------------


@pytest.mark.parametrize("ref", HOSTILE_IDS)
def test_child_path_refuses_anything_but_a_plain_name(ref, tmp_path):
    with pytest.raises(config.UnsafeId):
        config.child_path(tmp_path, ref)


def test_child_path_accepts_generated_ids_and_refuses_a_symlink_out(tmp_path):
    for ref in ("builtin", "upload-20250101120000-ab12cd34", "20250101-120000-demo-ab12", "a.b_c-d"):
        assert config.child_path(tmp_path, ref) == (tmp_path / ref).resolve()
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(config.UnsafeId, match="outside"):
        config.child_path(tmp_path, "link")


@pytest.fixture
def evil(isolated_home):
    """A folder beside the library folders that looks like a corpus, a run and an embedding."""
    folder = isolated_home / "evil"
    folder.mkdir(parents=True)
    (folder / "text.txt").write_text("secret", encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps({"name": "evil"}), encoding="utf-8")
    (runs.Run(folder).config_file).write_text(json.dumps(TrainConfig(corpus="builtin").to_json()), encoding="utf-8")
    return folder


def test_a_run_id_never_resolves_outside_the_runs_folder(evil):
    from namuweb import cli  # how a run id from the command line is looked up
    real = runs.create_run(TrainConfig.from_preset("builtin", "demo"))
    assert cli._run_dir(real.name).resolve() == real.resolve()
    for ref in ("../evil", "..", "", "x/../../evil", evil.name):  # no run id leads out of the runs folder
        with pytest.raises(cli.UserError):
            cli._run_dir(ref)
    (runs.runs_dir() / "linked").symlink_to(evil)  # a symlinked folder is not a run of this app
    with pytest.raises(cli.UserError):
        cli._run_dir("linked")
    assert [p.name for p in runs.run_dirs()] == [real.name]


def test_deleting_a_run_outside_the_runs_folder_is_refused(evil):
    with pytest.raises(runs.RunError, match="not a run in"):
        runs.delete_run(runs.runs_dir() / ".." / "evil")
    with pytest.raises(runs.RunError):
        runs.delete_run(evil)
    assert (runs.Run(evil).config_file).is_file()


def test_corpus_and_embedding_lookups_by_id_stay_inside_their_folders(evil):
    for ref in ("../evil", "../../evil", str(evil)):
        with pytest.raises(corpus.CorpusNotFound):
            corpus.get_corpus(ref)
        with pytest.raises(corpus.CorpusError):
            corpus.delete_corpus(ref)
        with pytest.raises(corpus.CorpusError):
            corpus.rename_corpus(ref, "x")
        with pytest.raises(KeyError):
            embedding_library.get(ref)
    assert (evil / "text.txt").read_text(encoding="utf-8") == "secret"
    assert json.loads((evil / "meta.json").read_text(encoding="utf-8")) == {"name": "evil"}


# --- 7. model files: only the run's own checkpoints, with safe mode -----------------------------------


@pytest.fixture
def run_dir():
    return runs.create_run(TrainConfig.from_preset("builtin", "demo"))


def point_latest_at(run_dir: Path, name: str) -> None:
    (runs.Run(run_dir).checkpoints_dir).mkdir(exist_ok=True)
    storage.write_json(runs.Run(run_dir).checkpoints_dir / run_folder.LATEST, {"file": name, "step": 1, "epoch": 0, "epoch_step": 1})


@pytest.mark.parametrize("name", ["../../../evil/model.keras", "/etc/passwd", "../config.json",
                                  "step-1.keras/../../config.json", "model.keras", 5, None])
def test_latest_json_cannot_point_outside_the_runs_checkpoints(run_dir, evil, name):
    (evil / "model.keras").write_bytes(b"PK")
    point_latest_at(run_dir, name)
    assert runs.Run(run_dir).latest_checkpoint() is None
    with pytest.raises(runs.RunError):
        runs.Run(run_dir).checkpoint_file()
    with pytest.raises(runs.RunError):
        generate.load_generator(run_dir)
    with pytest.raises(runs.RunError):
        session.load_checkpoint(run_dir)


def test_a_symlinked_checkpoint_is_not_loaded(run_dir, evil):
    (evil / "model.keras").write_bytes(b"PK")
    point_latest_at(run_dir, "step-00000001.keras")
    (runs.Run(run_dir).checkpoints_dir / "step-00000001.keras").symlink_to(evil / "model.keras")
    assert runs.Run(run_dir).latest_checkpoint() is None
    (runs.Run(run_dir).checkpoints_dir / "step-00000001.keras").unlink()
    (runs.Run(run_dir).checkpoints_dir / "step-00000001.keras").write_bytes(b"PK")  # a regular file is accepted
    assert runs.Run(run_dir).latest_checkpoint()["file"] == "step-00000001.keras"


def test_checkpoints_load_with_keras_safe_mode(run_dir):
    """A .keras file holding a Lambda layer (a pickled Python function) is refused, not run."""
    import keras
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    point_latest_at(run_dir, "step-00000001.keras")
    path = runs.Run(run_dir).checkpoints_dir / "step-00000001.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        session.load_checkpoint(run_dir)
    assert keras.models.load_model(path, safe_mode=False) is not None  # the file itself is loadable


def test_embeddings_never_unpickle_a_vectors_file(tmp_path):
    from namuweb.embeddings import vectors
    np.save(tmp_path / vectors.VECTORS_FILE, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    (tmp_path / vectors.VOCAB_FILE).write_text(json.dumps({"words": ["x"], "counts": [1]}), encoding="utf-8")
    with pytest.raises(ValueError, match="allow_pickle"):
        vectors.Embeddings.load(tmp_path)


@functools.cache
def nodes_of(path: Path) -> tuple:
    """Every AST node of a source file, parsed once for all the checks below instead of once per
    check (the no-pickle test alone took 15–30 s in loaded suite runs)."""
    return tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def calls(name: str):
    """(file, call node) for every call of a function or method called ``name`` in the app's code."""
    for path in SOURCES:
        for node in nodes_of(path):
            if isinstance(node, ast.Call):
                func = node.func
                if (isinstance(func, ast.Attribute) and func.attr == name) or \
                        (isinstance(func, ast.Name) and func.id == name):
                    yield path.name, node


def keyword(node: ast.Call, name: str):
    return next((ast.literal_eval(k.value) for k in node.keywords if k.arg == name), "missing")


def test_no_pickle_anywhere_and_every_loader_is_explicitly_safe():
    imported = set()
    for path in SOURCES:
        for node in nodes_of(path):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert not imported & {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
    assert not list(calls("read_pickle")) and not list(calls("to_pickle"))
    np_loads = list(calls("load"))
    np_loads = [(f, n) for f, n in np_loads if isinstance(n.func, ast.Attribute)
                and isinstance(n.func.value, ast.Name) and n.func.value.id == "np"]
    assert np_loads, "expected the embeddings' np.load"
    assert all(keyword(n, "allow_pickle") is False for _, n in np_loads), np_loads
    load_models = list(calls("load_model"))
    assert load_models and all(keyword(n, "safe_mode") is True for _, n in load_models)


# --- 6. user text in HTML --------------------------------------------------------------------------

HOSTILE_TOKENS = [
    ("<script>alert(1)</script>", "Noun"),
    ('<img src=x onerror="alert(1)">', "SL"),
    ('" onmouseover="alert(1)', "<b>Josa</b>"),
    ("**bold** [link](javascript:alert(1)) ![x](http://evil/x.png)", "Foreign"),
    ("$\\frac{1}{2}$ `code` <!-- x --> &amp; &#60;", "Punctuation"),
    ("줄\n\n# 제목", "Noun"),
    ("https://evil.example/login", "W_URL"),  # Kiwi tags a URL as one token: no autolink may come of it
    ("www.evil.example", "W_URL"),
]


class Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tags, self.raw_text, self.refs = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, [name for name, _ in attrs]))

    def handle_data(self, data):
        self.raw_text.append(data)

    def handle_charref(self, name):
        self.refs += 1

    def handle_entityref(self, name):
        self.raw_text.append(f"&{name};")

    def handle_comment(self, data):
        self.raw_text.append(f"<!--{data}-->")


def test_chips_show_hostile_tokens_as_text_never_as_html_or_markdown():
    html = tag_display.chips_html(HOSTILE_TOKENS, highlight={0, 2})
    markup = Markup()
    markup.feed(html)
    # Only the chips' own tags and style attributes; the tokens added none.
    assert {tag for tag, _ in markup.tags} == {"span", "br"}
    assert all(attrs in ([], ["style"]) for _, attrs in markup.tags)
    # Between the tags, no ASCII punctuation at all: nothing HTML, Markdown or LaTeX could act on.
    raw = "".join(markup.raw_text)
    assert not set(raw) & set(string.punctuation + "\n\r"), raw
    assert markup.refs > 0
    # And the reader still sees every token exactly as typed.
    shown = HTMLParser()
    texts = []
    shown.handle_data = texts.append
    shown.feed(html)
    # (An invisible word joiner before "http", "www" and "@" keeps a URL token from autolinking.)
    assert [t.replace(WORD_JOINER, "") for t in texts if t] == [part for pair in HOSTILE_TOKENS for part in pair]
    assert f"{WORD_JOINER}https" in "".join(texts) and f"{WORD_JOINER}www" in "".join(texts)


def test_legend_shows_only_its_own_group_names():
    legend = tag_display.legend_html(HOSTILE_TOKENS)
    for token, tag in HOSTILE_TOKENS:
        assert token not in legend and tag not in legend
    assert "<script" not in legend and "onerror" not in legend


def test_unsafe_html_on_the_pages_only_carries_escaped_chips_and_heatmaps():
    """Every ``unsafe_allow_html=True`` renders tag_display output, every st.html a heatmaps builder's (both
    escape what they are given, tested below); nothing uses components."""
    unsafe = [(f, n) for name in ("markdown", "write", "caption") for f, n in calls(name)
              if keyword(n, "unsafe_allow_html") is True]
    assert unsafe, "the Tagger page shows its chips as HTML"
    for file, node in unsafe:
        assert "tag_display." in ast.unparse(node.args[0]), f"{file}: {ast.unparse(node)[:120]}"
    html_calls = calls("html")
    assert html_calls, "the Inspect page shows its heatmaps as HTML"
    for file, node in html_calls:
        argument = ast.unparse(node.args[0])
        assert argument.startswith("heatmaps.") and all(
            isinstance(part, ast.Name) or ast.unparse(part).startswith("heatmaps.")
            for part in _summands(node.args[0])), f"{file}: {argument[:120]}"
    for path in SOURCES:  # no Streamlit components (custom HTML/JS), however imported or reached
        for node in nodes_of(path):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                names = [node.attr] if isinstance(node, ast.Attribute) else []
            assert not [n for n in names if "components" in n.split(".")], f"{path.name}: {ast.unparse(node)[:120]}"


def _summands(node: ast.expr) -> list[ast.expr]:
    """The parts of ``a + b + c``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _summands(node.left) + _summands(node.right)
    return [node]


def test_a_heatmap_shows_hostile_text_and_titles_as_text():
    from namuweb import heatmaps
    text = '<script>alert(1)</script><img src=x onerror="alert(1)">"\'&amp;'
    titles = ['"><script>alert(2)</script>', "' onmouseover='alert(3)"] * len(text)
    out = heatmaps.coloured_text(list(text), ['red;"><script>'] + [None] * (len(text) - 1), titles[:len(text)])
    out += heatmaps.legend([("#fff", "<b>bold</b>")])
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert 'onmouseover=\'' not in out and 'onerror="' not in out
    assert out.count("<span") == len(text) + 1  # one per character, one swatch: nothing else became a tag
    assert "&lt;script&gt;" in out and "&quot;&gt;&lt;script&gt;" in out
    named = heatmaps.coloured_text(["가"], [None], ["t"], classes='namuweb-text "><script> x onload=alert(4)')
    assert named.startswith('<div class="namuweb-text script x onloadalert4" style=')  # names, never attributes


def test_tagger_page_renders_a_script_token_escaped(monkeypatch):
    from namuweb.morphemes import analyzers
    # Kiwi only (no JVM): a started JVM keeps a pytest process from exiting (JPype's shutdown hangs here).
    real = analyzers._unavailable_reason
    monkeypatch.setattr(analyzers, "_taggers", {})
    monkeypatch.setattr(analyzers, "_unavailable_reason",
                        lambda engine: analyzers.NO_JAVA if engine in analyzers.JAVA_ENGINES else real(engine))
    at = AppTest.from_file(str(ROOT / "app_pages" / "tagger.py"), default_timeout=120)
    at.query_params["text"] = ('<script>alert(1)</script> <img src=x onerror="alert(1)"> 나무 '
                               'https://evil.example/login 와 www.evil.example')
    at.query_params["engine"] = "kiwi"
    at.run()
    assert not at.exception
    chips = [m.value for m in at.markdown if "<span" in m.value]
    assert chips, "no chips rendered"
    for value in chips:
        assert "<script" not in value and "<img" not in value and 'onerror="' not in value
        assert "<a" not in value and "https://" not in value and "www.evil" not in value  # nothing to autolink
    assert any("&#60;" in value for value in chips)  # the '<' arrived, as text
    assert any("https&#58;&#47;&#47;evil&#46;example" in value for value in chips)  # the URL, as text


def test_a_text_shown_exactly_keeps_a_line_of_only_spaces_through_streamlits_dedent():
    """st.html dedents its body (``textwrap.dedent``), which empties a line holding only spaces; the text a
    reader sees must still be the text, every space included."""
    import html
    import re
    import textwrap
    from namuweb import heatmaps
    text = "첫 줄\n \n\t\n  둘째 줄 \n<b>&</b>"
    for written in (heatmaps.plain_text(text), heatmaps.plain_text(text, mark=0, cursor=True)):
        shown = textwrap.dedent(written).strip()
        inner = shown[shown.index(">") + 1:shown.rindex("</div>")]
        assert html.unescape(re.sub(r"<[^>]+>", "", inner)).removesuffix("▌") == text
