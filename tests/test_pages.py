"""Streamlit AppTest tests: each page file run directly, as the server would run it."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from library_texts import add_text

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "app_pages" / f"{name}.py"), default_timeout=TIMEOUT)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_rows(at: AppTest, index: int) -> int:
    """Rows of the first dataset of chart ``index`` (Altair data travels as Arrow beside the spec)."""
    from streamlit import dataframe_util
    dataset = at.get("vega_lite_chart")[index].proto.datasets[0]
    return len(dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data))


def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for spec in chart_specs(at):
        title = spec.get("title")
        titles.append(title.get("text") if isinstance(title, dict) else title)
    return titles


def runs_table(at: AppTest):
    """The Train page's table of runs (the live view above it may show a table of samples)."""
    return next(frame.value for frame in at.dataframe if "state" in frame.value.columns)


def tensorflow_probe(monkeypatch):
    """What TensorFlow itself says, imported in a fresh process, even where the page need not ask it."""
    from namuweb import machine
    with monkeypatch.context() as patched:
        patched.setattr(machine, "gpu_driver_present", lambda: True)
        return machine.tensorflow_status()


def test_home_page_shows_tools_pipeline_and_status(isolated_home, monkeypatch):
    at = page("home").run()
    assert not at.exception
    assert at.title[0].value.endswith("namuweb")
    text = " ".join(m.value for m in at.markdown)
    assert str(isolated_home) in text  # the data directory
    statuses = " ".join(s.value for s in [*at.success, *at.warning])
    assert "Java runtime" in statuses
    [tensorflow] = [s.value for s in at.success if s.value.startswith("TensorFlow 2.")]
    probe = tensorflow_probe(monkeypatch)  # versions and GPUs as TensorFlow reports them
    assert probe.ok and tensorflow == f"{probe.summary} — {probe.detail}", (tensorflow, probe)
    assert at.get("graphviz_chart"), "the pipeline picture is missing"


def test_vocabulary_page_shows_builtin_figures_table_and_charts():
    at = page("vocabulary").run()
    assert not at.exception
    assert metrics(at) == {"Characters": "65,209", "Jamo tokens": "154,939", "Vocabulary size": "156",
                           "Hangul share": "55.3%"}
    table = at.dataframe[0].value
    assert len(table) == 156 and list(table["id"]) == list(range(156))
    assert table.loc[table["token"] == "U+000A LINE FEED (newline)", "category"].item() == "whitespace"
    assert chart_titles(at) == ["Top 30 tokens by count", "Coverage", "Counts by category"]
    assert chart_rows(at, 0) == 30
    assert any("Round trip exact" in s.value for s in at.success)
    assert len(at.get("download_button")) == 2


def test_vocabulary_page_counts_whole_syllables_to_compare_with_jamo():
    from namuweb.corpora import corpus
    from namuweb.text.vocab_report import report
    at = page("vocabulary").run()
    at.session_state["vocabulary_tokens"] = "syllables"
    at.run()
    assert not at.exception
    syllables = report(corpus.get_corpus(corpus.BUILTIN_ID), jamo=False)
    shown = metrics(at)
    assert shown["Tokens (syllables and other characters)"] == "65,209"  # one token per character
    assert shown["Vocabulary size"] == f"{syllables.vocab.size:,}" and syllables.vocab.size > 3 * 156  # 559 kinds against 156
    assert "한" in set(at.dataframe[0].value["token"]) and "ㅎ" not in set(at.dataframe[0].value["token"])


def test_vocabulary_search_filters_the_table():
    at = page("vocabulary").run()
    at.text_input[0].input("vowel").run()
    table = at.dataframe[0].value
    assert 0 < len(table) < 156 and set(table["category"]) == {"vowel"}


def test_vocabulary_min_count_folds_rare_tokens():
    at = page("vocabulary").run()
    at.number_input[0].set_value(10).run()
    assert not at.exception
    size = int(metrics(at)["Vocabulary size"])
    assert size < 156
    assert any("folded into `<unk>`" in i.value for i in at.info)
    assert at.dataframe[0].value["token"].iloc[-1] == "<unk>"


def test_vocabulary_log_scale_and_top_n_reach_the_chart():
    at = page("vocabulary").run()
    at.slider[1].set_value(50).run()
    at.toggle[0].set_value(True).run()
    bars = chart_specs(at)[0]
    assert bars["encoding"]["y"]["scale"]["type"] == "log"
    assert chart_rows(at, 0) == 50


def test_upload_cp949_shows_notice_and_selects_it():
    at = page("vocabulary").run()
    at.file_uploader[0].upload("옛날.txt", "한국어 말뭉치입니다\n둘째 줄".encode("cp949"), "text/plain").run()
    assert not at.exception
    assert any("CP949" in i.value for i in at.info)
    assert metrics(at)["Characters"] == f"{len('한국어 말뭉치입니다' + chr(10) + '둘째 줄'):,}"
    assert "옛날.txt" in at.selectbox[0].format_func(at.selectbox[0].value)


def test_upload_binary_shows_error_and_stores_nothing(isolated_home):
    at = page("vocabulary").run()
    at.file_uploader[0].upload("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "text/plain").run()
    assert not at.exception
    assert any("does not look like text" in e.value for e in at.error)
    assert metrics(at)["Characters"] == "65,209"  # still the built-in corpus
    assert [p.name for p in (isolated_home / "corpora").iterdir()] == ["builtin"]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def poll(at: AppTest, predicate, timeout: float = 120):
    """Rerun the page (run_every never ticks in AppTest) until ``predicate(at)`` holds."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        assert not at.exception
        if predicate(at):
            return at
        time.sleep(1)
    raise AssertionError(f"timed out; metrics {metrics(at)}")


def test_train_page_starts_a_run_streams_its_chart_and_stops_it(monkeypatch):
    from namuweb import jobs
    from namuweb.language_model import runs
    at = page("train").run()
    assert not at.exception
    assert any("steps per epoch" in i.value and "0m 25s** from start to a finished model" in i.value
               for i in at.info)  # the quick demo is a time budget: its estimate is that budget
    monkeypatch.setenv("NAMUWEB_QUICK_DEMO_SECONDS", "600")  # so it is still running when Stop is pressed
    at.run()
    assert any("10m 00s** from start to a finished model" in i.value for i in at.info)
    button(at, "Train").click().run()
    [info] = runs.list_runs()
    assert info.config["preset"] == "demo"
    poll(at, lambda at: metrics(at).get("State") == "running" and chart_rows(at, 0) >= 6)
    first = chart_rows(at, 0)
    poll(at, lambda at: chart_rows(at, 0) > first)
    # a few seconds into training, the model's first sample, live
    poll(at, lambda at: any("temperature 0.5" in frame.value.columns for frame in at.dataframe))
    assert "**Samples while it learned**" in [m.value for m in at.markdown]
    assert not button(at, "Train").disabled  # a second run waits in line instead of being refused
    assert any("waits in line" in i.value for i in at.info)
    button(at, "Train").click().run()
    second = next(r for r in runs.list_runs() if r.path != info.path)
    poll(at, lambda at: metrics(at).get("State") == "waiting")  # the page follows the run started here
    poll(at, lambda at: any("1st in line of 1" in i.value for i in at.info))  # once its worker has looked
    button(at, "Stop").click().run()  # takes it out of the line: it never trains
    assert jobs.wait(second.path, timeout=30).state == "stopped" and runs.Run(second.path).latest_checkpoint() is None
    poll(at, lambda at: metrics(at).get("State") == "running")  # back on the run that trains
    button(at, "Stop").click().run()
    poll(at, lambda at: metrics(at).get("State") == "stopped")
    assert runs.Run(info.path).latest_checkpoint() is not None
    table = runs_table(at)
    assert sorted(table["state"]) == ["stopped", "stopped"] and table["steps"].max() > 0


def test_train_page_offers_the_better_model_preset_with_its_decaying_rate(monkeypatch):
    from namuweb import jobs
    from namuweb.language_model import runs
    started = []
    # the run's settings are the point; starting one is above
    monkeypatch.setattr(jobs, "start", lambda kind, job_dir, **options: started.append((kind.name, job_dir)))
    at = page("train")
    at.session_state["preset"] = "better"
    at.run()
    assert not at.exception
    assert any("5m 00s** from start to a finished model" in i.value for i in at.info)
    schedule = next(s for s in at.selectbox if s.label == "Rate schedule")
    assert schedule.value == "cosine" and schedule.disabled
    button(at, "Train").click().run()
    [info] = runs.list_runs()
    assert [("train", info.path)] == started
    assert (info.config["preset"], info.config["schedule"], info.config["units"], info.config["max_seconds"]) == \
        ("better", "cosine", 256, 300)


def test_train_page_trains_on_whole_syllables_when_asked(monkeypatch):
    from namuweb import jobs
    from namuweb.language_model import runs
    started = []
    monkeypatch.setattr(jobs, "start", lambda kind, job_dir, **options: started.append(job_dir))  # training: test_inspection
    at = page("train")
    at.session_state["tokenization"] = "syllables"
    at.run()
    assert not at.exception
    steps = next(i.value for i in at.info if "steps per epoch" in i.value)
    at.session_state["tokenization"] = "jamo"
    at.run()
    assert next(i.value for i in at.info if "steps per epoch" in i.value) != steps  # a plan in its own tokens
    at.session_state["tokenization"] = "syllables"
    at.run()
    button(at, "Train").click().run()
    [info] = runs.list_runs()
    assert started == [info.path] and info.config["tokenization"] == "syllables"
    assert runs.Run(info.path).vocab().tokenizer == "char" and info.config["tokens_per_char"] == 1.0


def train_tiny_model(home: Path, **sizes) -> Path:
    """A tiny char-LSTM trained on a few lines in ``home``, for page tests that need a model (``sizes``: the
    TrainConfig fields that differ from 12 → LSTM 16, 10 steps)."""
    from namuweb.corpora import corpus
    from namuweb.language_model import runs, trainer
    from namuweb.language_model.settings import TrainConfig
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMUWEB_HOME", str(home))
        source = add_text(("한국에서는 나무위키 말뭉치를 만들어보자.\n" * 150).encode("utf-8"), "tiny.txt")
        settings = dict(embedding=12, units=16, batch=8, seq_len=20, learning_rate=0.02, epochs=None, steps=10)
        run_dir = runs.create_run(TrainConfig(corpus=source.id, preset="custom", **{**settings, **sizes}).validated())
        trainer.train(run_dir)
    return run_dir


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """A tiny model trained once for this module's Generate page tests."""
    return train_tiny_model(tmp_path_factory.mktemp("pages-home"))


@pytest.fixture
def tiny_trained_run(trained_once, isolated_home):
    """A copy of the module's trained run in this test's data directory."""
    import shutil
    from namuweb.language_model import runs
    return Path(shutil.copytree(trained_once, runs.runs_dir() / trained_once.name))


def test_generate_page_generates_text_and_the_teaching_chart_follows_the_slider(tiny_trained_run):
    from namuweb.language_model import generate
    from namuweb.language_model import runs
    at = page("generate").run()
    assert not at.exception
    assert at.selectbox[0].value == tiny_trained_run.name
    assert runs.run_info(tiny_trained_run).name in at.selectbox[0].format_func(at.selectbox[0].value)
    button(at, "Generate").click().run()
    assert not at.exception
    [output], [written] = shown_texts(at), shown_texts(at, "written")  # the sample; the text written by clicking
    assert written == "한국에서는▌"
    expected = generate.load_generator(tiny_trained_run).generate("한국에서는", 200, 0.8, seed=shown_seed(at))[0].text
    assert at.session_state["generated"]["samples"][0].text == expected
    assert output == expected  # exactly: every space and line break, in the page's own type
    assert [c.value for c in at.code] == [expected]  # the copy box, in its expander
    assert len(at.get("download_button")) == 1
    chart_before = chart_specs(at)[-1]["layer"][0]
    temperature = next(s for s in at.slider if s.label == "Temperature")
    temperature.set_value(0.2).run()
    settings = chart_specs(at)[-1]["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert settings == ["temperature 1", "your temperature 0.2"]
    assert chart_before["encoding"]["color"]["scale"]["domain"] == ["temperature 1", "your temperature 0.8"]


def shown_texts(at: AppTest, kind: str = "sample") -> list[str]:
    """The texts the Generate page shows of a ``kind`` (sample, jamo, written), as a reader sees them: its
    st.html with the tags gone and the escapes resolved."""
    import html
    import re
    found = []
    for body in html_bodies(at):
        opening = body.split(">", 1)[0]
        if f"namuweb-{kind}" in opening and "namuweb-surprisal" not in opening:
            found.append(html.unescape(re.sub(r"<[^>]+>", "", body[len(opening) + 1:body.rindex("</div>")])))
    return found


def shown_seed(at: AppTest) -> int:
    """The seed the Generate page says it drew for the text on show."""
    import re
    return int(next(re.match(r"Seed (\d+)", c.value).group(1) for c in at.caption if c.value.startswith("Seed ")))


def test_generate_page_draws_a_fresh_seed_each_press_and_a_fixed_seed_repeats_a_text(tiny_trained_run):
    at = page("generate").run()
    seeds, texts = [], []
    for _ in range(2):
        button(at, "Generate").click().run()
        seeds.append(shown_seed(at))
        texts.append(shown_texts(at)[0])
    assert seeds[0] != seeds[1] and texts[0] != texts[1]
    next(t for t in at.toggle if t.label == "Fixed seed").set_value(True).run()
    at.number_input(key="seed").set_value(seeds[0]).run()
    for _ in range(2):
        button(at, "Generate").click().run()
        assert (shown_seed(at), shown_texts(at)[0]) == (seeds[0], texts[0])


def test_generate_and_inspect_open_on_the_best_run_not_the_newest(tiny_trained_run):
    import shutil
    older_but_better = Path(shutil.copytree(tiny_trained_run, tiny_trained_run.with_name("20000101-000000-custom-best")))
    with open(older_but_better / "metrics.jsonl", "a") as metrics_file:
        metrics_file.write(json.dumps({"step": 10, "val_loss": 0.01}) + "\n")
    assert page("generate").run().selectbox[0].value == older_but_better.name
    assert page("inspect").run().selectbox(key="inspect_model").value == older_but_better.name


def test_train_page_continues_a_run_below_its_floor_resumes_and_renames_it(tiny_trained_run, monkeypatch):
    """The below-floor notice's Continue button trains one more budget; the runs table's Resume button starts
    the run again (it once failed on a local import); a run's name is shown and can be changed."""
    from namuweb import jobs, storage
    from namuweb.corpora import corpus
    from namuweb.language_model import runs
    source = add_text(("한국에서는 나무위키 말뭉치를 만들어보자.\n" * 150).encode("utf-8"), "tiny.txt")
    settings = runs.Run(tiny_trained_run).settings()
    storage.write_json(runs.Run(tiny_trained_run).config_file,
                       settings | {"quality_floor": 0.0, "corpus": source.id})  # a floor out of reach
    jobs.write_status(tiny_trained_run, state="stopped", kind="train", created=0,
                      error="below its quality floor: after 10 steps …")
    started = []
    monkeypatch.setattr(jobs, "start", lambda kind, job_dir, **options: started.append((kind.name, Path(job_dir))))
    at = page("train").run()
    assert not at.exception and metrics(at)["Start-up"].endswith(" s")
    assert any("below its quality floor" in w.value for w in at.warning)
    button(at, "Continue").click().run()
    assert not at.exception and started == [("train", tiny_trained_run)], [e.value for e in at.error]
    assert runs.Run(tiny_trained_run).config().steps == 20  # one more budget of the size it began with
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    button(at, "Resume").click().run()
    assert not at.exception and started[-1] == ("train", tiny_trained_run) and len(started) == 2
    assert runs.Run(tiny_trained_run).config().steps == 20  # its budget was not spent: nothing added
    at.text_input(key=f"run-name-{tiny_trained_run.name}").input("나무위키 첫 모델").run()
    button(at, "Rename").click().run()
    assert not at.exception and runs.run_info(tiny_trained_run).name == "나무위키 첫 모델"
    assert "나무위키 첫 모델" in list(runs_table(at)["name"])


def test_train_page_shows_the_samples_a_run_wrote_while_it_learned(tiny_trained_run):
    """The live view lists the run's samples newest first (its last step's, then earlier ones), the newest in full."""
    from namuweb.language_model import runs
    from namuweb.literal_text import literal
    [end] = runs.learning_samples(tiny_trained_run)  # ten steps: only the sample at the end
    assert end["step"] == 10 and end["temperature 0.5"].startswith("한국에서는")
    with runs.Run(tiny_trained_run).samples_log() as log:  # as if an earlier one had come while it trained
        for temperature in (0.5, 1.0):
            log.write({"step": 4, "seconds": 5.0, "temperature": temperature,
                       "text": f"한국에서는 잡음 {temperature}"})
    at = page("train").run()
    assert not at.exception
    assert "**Samples while it learned**" in [m.value for m in at.markdown]
    [shown] = [frame.value for frame in at.dataframe if "temperature 0.5" in frame.value.columns]
    assert shown["step"].tolist() == [10, 4]
    assert shown["temperature 1.0"].tolist() == [end["temperature 1.0"], "한국에서는 잡음 1.0"]
    newest = [m.value for m in at.markdown if m.value.startswith("`")]
    assert newest == [f"`0.5` {literal(end['temperature 0.5'])}", f"`1.0` {literal(end['temperature 1.0'])}"]
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": []}}  # the run, picked in the table
    at.run()
    assert not at.exception and [e.label for e in at.expander if e.label == "Samples while it learned"]
    picked = [frame.value for frame in at.dataframe if "temperature 0.5" in frame.value.columns]
    assert len(picked) == 2 and picked[1]["step"].tolist() == [10, 4]  # the live view's, then the picked run's


def chart_frames(at: AppTest, index: int = -1) -> list:
    from streamlit import dataframe_util
    chart = at.get("vega_lite_chart")[index]
    return [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]


def next_token_rows(at: AppTest) -> list[str]:
    """The tokens of the (jamo) next-token chart's columns, in order."""
    return next(list(f["token"]) for f in chart_frames(at) if "at yours" in f)


def choice_rows(at: AppTest, index: int = -1) -> list[str]:
    """The tokens of a choice chart's columns (next syllables, or a sample's alternatives), in order."""
    return next(list(f["tokens"]) for f in chart_frames(at, index) if "top" in f)


def click_choice(at: AppTest, key: str, tokens: str) -> AppTest:
    """A click on a choice chart's column, as the browser reports it: the chart's selection ``pick``."""
    at.session_state[key] = {"selection": {"pick": [{"tokens": tokens}]}}
    return at.run()


def test_generate_page_writes_a_whole_syllable_per_click_and_undo_takes_it_back(tiny_trained_run):
    from namuweb.language_model import generate, syllable_choices
    from namuweb.literal_text import literal
    from namuweb.text import hangul
    generator = generate.load_generator(tiny_trained_run)
    at = page("generate").run()
    expected = syllable_choices.choices(generator, "한국에서는", temperature=0.8)
    assert choice_rows(at) == [c.tokens for c in expected]
    first = next(c for c in expected if len(c.tokens) > 1)  # a syllable: its jamo and ᴥ
    click_choice(at, f"next-syllable-{tiny_trained_run.name}-0", first.tokens)
    assert not at.exception
    assert shown_texts(at, "written") == ["한국에서는" + first.text + "▌"]
    assert at.session_state["writing"]["picks"] == [first.tokens]
    assert any(c.value == literal("Picked: " + first.text) for c in at.caption)
    after = syllable_choices.choices(generator, "한국에서는", list(first.tokens), temperature=0.8)
    assert choice_rows(at) == [c.tokens for c in after]  # the chart asks what follows the whole syllable
    second = after[0]
    click_choice(at, f"next-syllable-{tiny_trained_run.name}-1", second.tokens)  # the chart's key: one per turn
    assert shown_texts(at, "written") == ["한국에서는" + first.text + second.text + "▌"]
    button(at, "Undo").click().run()  # the whole syllable goes, not one jamo of it
    assert shown_texts(at, "written") == ["한국에서는" + first.text + "▌"]
    # the jamo view: one token per click, as before
    at.radio(key="choice_view").set_value("jamo").run()
    assert next_token_rows(at) == [row["token"] for row in generator.next_token_table("한국에서는", 0.8,
                                                                                     after=list(first.tokens))]
    at.session_state[f"next-jamo-{tiny_trained_run.name}-3"] = {"selection": {"pick": [{"token": "ㄱ"}]}}
    at.run()
    assert at.session_state["writing"]["picks"] == [first.tokens, "ㄱ"]
    at.radio(key="choice_view").set_value("whole syllables").run()  # the syllable it began, completed
    completions = syllable_choices.choices(generator, "한국에서는", list(first.tokens) + ["ㄱ"], temperature=0.8)
    assert choice_rows(at) == [c.tokens for c in completions]
    assert completions and all(hangul.is_syllable(c.text) and hangul.decompose(c.text)[0] == "ㄱ" for c in completions)


def test_generate_page_log_scale_shows_the_unlikely_choices(tiny_trained_run):
    at = page("generate").run()
    assert chart_specs(at)[-1]["layer"][0]["encoding"]["y"]["scale"].get("type") is None
    at.toggle(key="choice_log").set_value(True).run()
    scale = chart_specs(at)[-1]["layer"][0]["encoding"]["y"]["scale"]
    assert scale["type"] == "log" and 0 < scale["domain"][0] < 0.01 and scale["domain"][1] == 1
    assert chart_specs(at)[-1]["layer"][0]["encoding"]["x"]["axis"]["labelFontSize"] >= 20  # labels to read


def test_generate_page_writes_the_picked_tokens_and_undoes_them(tiny_trained_run):
    """Clicking a column appends its tokens (the browser walkthrough clicks); here the picks are set as clicks
    leave them, and the page writes them, asks the model what follows, undoes and reuses them."""
    from namuweb.language_model import generate
    generator = generate.load_generator(tiny_trained_run)
    at = page("generate").run()
    at.radio(key="choice_view").set_value("jamo").run()
    assert next_token_rows(at) == [row["token"] for row in generator.next_token_table("한국에서는", 0.8)]
    at.session_state["writing"] = {"run": tiny_trained_run.name, "start": "한국에서는", "picks": ["ㄴ", "ㅏ", "ᴥ", "ㅁ"]}
    at.run()
    assert not at.exception
    assert shown_texts(at, "written") == ["한국에서는나ㅁ▌"]
    after = generator.next_token_table("한국에서는", 0.8, after=list("ㄴㅏᴥㅁ"))
    assert next_token_rows(at) == [row["token"] for row in after]
    button(at, "Undo").click().run()
    assert shown_texts(at, "written") == ["한국에서는나▌"]
    button(at, "Use as start text").click().run()
    assert at.text_input[0].value == "한국에서는나" and shown_texts(at, "written") == ["한국에서는나▌"]
    assert at.session_state["writing"]["picks"] == []  # a new start text: writing begins anew


def test_generate_page_branches_from_a_character_and_goes_back_to_the_original(tiny_trained_run):
    import re
    from namuweb.language_model import generate, syllable_choices
    from namuweb.text import hangul
    generator = generate.load_generator(tiny_trained_run)
    at = page("generate").run()
    next(s for s in at.slider if s.label == "Length (characters)").set_value(40).run()
    button(at, "Generate").click().run()
    original = at.session_state["generated"]["samples"][0]
    position = next((i for i in range(5, 40) if hangul.is_syllable(original.continuation[i])), 20)  # in the middle
    at.number_input(key="branch_character").set_value(position + 1).run()
    assert not at.exception
    written = hangul.decompose(original.continuation[position])
    expected = syllable_choices.choices(generator, original.start + original.continuation[:position], include=[written])
    assert choice_rows(at, 0) == [c.tokens for c in expected]  # what the model expected there, the written one too
    marked = [f for f in chart_frames(at, 0) if "written" in f][0]
    assert set(marked.loc[marked["written"] == "written here", "tokens"]) == {written}
    assert shown_texts(at)[0] == original.text  # the character is marked in the sample, the text unchanged
    assert "<mark" in next(b for b in html_bodies(at) if "namuweb-sample" in b)
    other = next(c for c in expected if c.tokens != written)
    click_choice(at, f"branch-0-{position}", other.tokens)  # a click on its column picks it
    assert at.selectbox(key="branch_with").value == other.tokens
    button(at, "Continue from here").click().run()
    assert not at.exception and not at.error
    branched = at.session_state["generated"]["samples"][0]
    assert branched.continuation[:position] == original.continuation[:position]  # the text up to it is kept
    assert branched.continuation[position] == other.text  # then the one picked
    assert len(branched.continuation) == len(original.continuation) and branched.start == original.start
    assert shown_texts(at)[0] == branched.text
    button(at, "Back to the original").click().run()
    assert at.session_state["generated"]["samples"][0].text == original.text and shown_texts(at)[0] == original.text
    assert not [b for b in at.button if b.label == "Back to the original"]
    # the sample coloured by the model's surprisal, character by character
    at.toggle(key="colour_by_surprisal").set_value(True).run()
    assert not at.exception
    body = next(b for b in html_bodies(at) if "namuweb-surprisal" in b)
    titles = re.findall(r'title="([^"]*)"', body)
    assert len(titles) == len(original.text.replace("\n", "")) and all("bits" in t for t in titles)


def test_generate_page_names_unknown_start_characters(tiny_trained_run):
    at = page("generate").run()
    at.text_input[0].input("😀한국").run()
    assert any("😀" in w.value and "skipped" in w.value for w in at.warning)
    button(at, "Generate").click().run()
    assert shown_texts(at)[0].startswith("한국")


def html_bodies(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html")]


def test_inspect_page_colours_every_character_by_the_models_surprisal(tiny_trained_run):
    import re
    from namuweb.language_model import inspection
    at = page("inspect").run()
    assert not at.exception
    text = at.text_area[0].value
    expected = inspection.inspect(tiny_trained_run, text)
    assert at.metric[0].value == f"{expected.bits_per_character:.2f} bits / character"
    surprisal, cells = html_bodies(at)[0], html_bodies(at)[-1]
    titles = re.findall(r'<span style="[^"]*" title="([^"]*)">', surprisal)
    assert len(titles) == len(text.replace("\n", ""))
    scored = next(c for c in expected.characters if c.bits is not None)
    assert any(f"{scored.bits:.1f} bits" in t for t in titles)
    # The cells tab colours the text by the table's first cell; another cell, another colouring.
    first = at.dataframe[0].value.iloc[0]
    assert next(n for n in at.number_input if n.label == "Cell").value == first["index"]
    next(n for n in at.number_input if n.label == "Cell").set_value((int(first["index"]) + 1) % 16).run()
    assert html_bodies(at)[-1] != cells
    # A visitor's text is shown as text, never as HTML.
    at.text_area[0].input('<b onmouseover="x">굵게</b> & "끝"').run()
    assert not at.exception
    body = html_bodies(at)[0]
    assert "<b" not in body and "&lt;" in body and "onmouseover=&quot;" not in body.replace("&amp;", "&")


def test_inspect_page_without_a_model_says_where_to_train_one(isolated_home):
    at = page("inspect").run()
    assert not at.exception
    assert any("No trained model yet" in i.value for i in at.info) and not at.text_area


def test_inspect_page_compares_two_runs_character_by_character(tiny_trained_run):
    import re
    import shutil
    twin = shutil.copytree(tiny_trained_run, tiny_trained_run.with_name(tiny_trained_run.name + "-twin"))
    at = page("inspect").run()
    other = ({twin.name, tiny_trained_run.name} - {at.selectbox(key="inspect_model").value}).pop()
    at.selectbox(key="inspect_compare").set_value(other).run()
    assert not at.exception
    first, second = at.metric[0].value, at.metric[1].value
    assert first == second  # the same weights read the same text alike
    difference = next(body for body in html_bodies(at) if "+0.0 bits" in body)
    colours = re.findall(r'background:(rgb\([^)]*\));border-radius', difference)
    assert colours and set(colours) == {"rgb(255,255,255)"}  # no character got easier or harder


def test_generate_page_without_a_model_offers_the_quick_demo(kill_leftover_workers):
    from namuweb.language_model import runs
    at = page("generate").run()
    assert any("No trained model yet" in i.value for i in at.info)
    button(at, "Train the quick demo").click().run()
    [info] = runs.list_runs()
    assert info.config["preset"] == "demo"
    assert any("A model is training" in i.value for i in at.info)
    # the job itself is killed by the fixture: stopping a run is the Train page test's business


def test_every_page_that_mentions_the_quick_demo_states_its_one_time(isolated_home, monkeypatch,
                                                                     kill_leftover_workers):
    """Home, Generate and Train say how long the quick demo trains in the same words, from the preset's own
    budget: a deployment that changes it changes every page."""
    monkeypatch.setenv("NAMUWEB_QUICK_DEMO_SECONDS", "40")
    stated = "40 seconds of training"
    home = page("home").run()
    assert any(stated in c.value for c in home.caption), [c.value for c in home.caption]
    generate = page("generate").run()
    assert any(stated in i.value for i in generate.info)
    train = page("train").run()
    assert not train.exception
    [preset] = [s for s in train.get("button_group") if s.label == "Preset"]
    assert stated in preset.help
    from namuweb import jobs
    assert any(f"**{jobs.format_seconds(40)}** from start to a finished model" in i.value
               for i in train.info)  # the plan: that budget


def test_tagger_page_tags_the_tutorial_sentence():
    at = page("tagger").run()
    assert not at.exception
    line = at.text[0].value
    assert line == "나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb"
    chips = " ".join(m.value for m in at.markdown)
    assert "말뭉치" in chips and "Josa" in chips
    assert not at.dataframe, "the table waits for its toggle: the first view stays light"
    at.toggle(key="tag_table").set_value(True).run()
    table = at.dataframe[0].value
    assert list(table["tag"]) == ["Noun", "Noun", "Noun", "Josa", "Verb", "Verb"]
    assert table["meaning"].iloc[3] == "조사"
    at.text_area[0].input("한국어 형태소 분석").run()
    assert at.text[0].value.startswith("한국어/Noun")
    assert at.query_params["text"] == ["한국어 형태소 분석"] or at.query_params["text"] == "한국어 형태소 분석"


def test_tagger_page_compare_lists_every_available_engine():
    from namuweb.morphemes import analyzers
    at = page("tagger").run()
    assert "Outlined chips" not in " ".join(c.value for c in at.caption), "Compare ran before it was opened"
    at.session_state["tagger_tab"] = "Compare engines"
    at.run()
    shown = " ".join(m.value for m in at.markdown)
    for engine in analyzers.engines():
        if engine.available:
            assert f"**{engine.label}**" in shown
    assert "Outlined chips" in " ".join(c.value for c in at.caption)


def test_tagger_page_reads_text_and_engine_from_the_url():
    at = page("tagger")
    at.query_params["text"] = "아버지가방에들어가신다"
    at.query_params["engine"] = "kiwi"
    at.run()
    assert not at.exception
    assert at.text_area[0].value == "아버지가방에들어가신다"
    assert "/" in at.text[0].value and "아버지" in at.text[0].value


def test_tagger_page_empty_input_gets_a_hint():
    at = page("tagger").run()
    at.text_area[0].input("").run()
    assert any("Type a sentence" in i.value for i in at.info)


def test_tagger_page_without_java_offers_kiwi_and_explains(monkeypatch):
    from namuweb.morphemes import analyzers
    real = analyzers._unavailable_reason
    monkeypatch.setattr(analyzers, "_taggers", {})  # engines other tests already created would count as available
    monkeypatch.setattr(analyzers, "_unavailable_reason",
                        lambda engine: analyzers.NO_JAVA if engine in analyzers.JAVA_ENGINES else real(engine))
    at = page("tagger").run()
    assert not at.exception
    explained = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Okt" in explained and "no Java runtime" in explained and "default-jre-headless" in explained
    assert "/" in at.text[0].value and "NNG" in at.text[0].value  # tagged by Kiwi's Sejong tags


def planted_tagged_corpus():
    """A small tagged corpus in the library: 고양이 and 강아지 share contexts and never meet."""
    import random
    from namuweb import config
    from namuweb.corpora import corpus
    rng = random.Random(0)
    lines = []
    for _ in range(400):
        pet = rng.choice(["고양이/Noun", "강아지/Noun"])
        lines.append(f"{pet} 가/Josa 밥/Noun 을/Josa 먹다/Verb")
        lines.append(f"우리/Noun {pet} 는/Josa 귀엽다/Adjective")
        lines.append(f"{rng.choice(['책/Noun', '신문/Noun'])} 을/Josa 읽다/Verb 오늘/Noun")
    path = config.data_home() / "planted.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus.add_file(path, "planted · tagged", source="tagged", parent=None)


def test_embeddings_page_trains_then_shows_neighbours_chart_and_map():
    from namuweb.embeddings import embedding_library
    planted_tagged_corpus()
    at = page("embeddings").run()
    assert not at.exception
    assert any("No embeddings yet" in i.value for i in at.info)
    button(at, "Train embeddings").click().run()
    [entry] = embedding_library.entries()
    assert json.loads((entry.path / embedding_library.CONFIG_FILE).read_text())["shared_negatives"] == 32
    poll(at, lambda at: any(e.ready for e in embedding_library.entries()) and at.get("vega_lite_chart"), timeout=180)
    at.run()
    assert not at.exception
    query = next(s for s in at.selectbox if s.label == "Word")
    query.set_value("고양이/Noun").run()
    table = at.dataframe[0].value
    assert table["word"].iloc[0] == "강아지/Noun"
    titles = chart_titles(at)
    assert "Nearest words" in titles and len(at.get("plotly_chart")) == 1  # the map (a Plotly figure)
    assert any("Cosine similarity" == m.label for m in at.metric)


def test_embeddings_page_can_draw_negatives_per_pair_as_word2vec_does(monkeypatch):
    from namuweb.embeddings import embedding_library
    from namuweb import jobs
    started = []
    # The job's settings are the point: a job started from this page runs above, and training with negatives
    # per pair is test_skipgram.py's planted-synonym test.
    monkeypatch.setattr(jobs, "start", lambda kind, job_dir, **options: started.append(job_dir) if kind.name == "skipgram" else None)
    planted_tagged_corpus()
    at = page("embeddings").run()
    next(t for t in at.toggle if t.label == "Share negatives within a step").set_value(False).run()
    button(at, "Train embeddings").click().run()
    assert not at.exception
    [entry] = embedding_library.entries()
    assert started == [entry.path]
    assert json.loads((entry.path / embedding_library.CONFIG_FILE).read_text())["shared_negatives"] == 0


def test_embeddings_page_without_a_tagged_corpus_points_to_the_tagger():
    at = page("embeddings").run()
    assert not at.exception
    assert any("No tagged corpus yet" in i.value for i in at.info)


def test_corpora_page_lists_the_library_and_stores_a_text_upload():
    at = page("corpora").run()
    assert not at.exception
    assert list(at.dataframe[0].value["source"]) == ["built-in"]
    at.file_uploader[0].upload("메모.txt", "메모 한 줄\n둘째 줄".encode("utf-8"), "text/plain").run()
    table = at.dataframe[0].value
    assert set(table["source"]) == {"built-in", "upload"} and "메모.txt" in set(table["name"])


def test_corpora_page_imports_the_fixture_dump_into_the_library():
    from namuweb.corpora import corpus, uploads
    from namuweb import jobs
    dump = ROOT / "tests" / "fixtures" / "namuwiki" / "mini.json"
    at = page("corpora").run()
    at.file_uploader[0].upload("mini.json", dump.read_bytes(), "application/json").run()
    assert not at.exception
    [job] = uploads.FOLDERS.all()
    assert jobs.wait(job, timeout=120).state == "finished", jobs.log_tail(job)
    at.run()
    at.run()
    table = at.dataframe[0].value
    assert "Namuwiki import" in set(table["source"])
    imported = [c for c in corpus.list_corpora() if c.source == "namuwiki"][0]
    vocabulary = page("vocabulary").run()
    assert imported.id in vocabulary.selectbox[0].options or any(
        imported.name in o for o in vocabulary.selectbox[0].options)


def test_embeddings_page_builds_embeddings_from_nothing_with_one_click():
    """A fresh server: one click tags the built-in corpus (with Kiwi, chosen) and trains on it, one job with one
    bar, and the explorer opens on 국민 in the tagger's own tagset, which the page names."""
    from namuweb.embeddings import embedding_library
    at = page("embeddings").run()
    assert not at.exception and any("No tagged corpus yet" in i.value for i in at.info)
    next(s for s in at.selectbox if s.label == "Tagger").set_value("kiwi").run()  # Okt is the default with Java
    button(at, "Build embeddings from the built-in corpus").click().run()
    assert not at.exception
    [entry] = embedding_library.entries()
    assert entry.status.kind == embedding_library.BUILD.name
    poll(at, lambda at: embedding_library.get(entry.id).ready, timeout=180)
    at.run()
    assert not at.exception
    assert next(s for s in at.selectbox if s.label == "Embeddings").value == entry.id
    assert next(s for s in at.selectbox if s.label == "Word").value == "국민/NNG"
    assert len(at.dataframe[0].value) == 10
    assert any(c.value.startswith("tagged by Kiwi") and "Sejong tags" in c.value for c in at.caption)


def test_embeddings_page_evaluates_like_gensim(tmp_path):
    """The Evaluate tab: odd one out, word-pair correlations with their scatter, analogy accuracy by section."""
    import numpy as np
    from namuweb.embeddings import embedding_library, evaluation
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(0)
    words = [f"말{i}/Noun" for i in range(40)]
    vectors = Embeddings(words, [1] * 40, rng.normal(size=(40, 8)).astype(np.float32))
    (tmp_path / "v.txt").write_bytes(vectors.word2vec_text())
    embedding_library.import_file((tmp_path / "v.txt").read_bytes(), "v.txt")
    at = page("embeddings").run()
    next(t for t in at.text_input if t.key == "odd_words").input("말1 말2 말3 없는말").run()
    assert not at.exception
    odd = next(m for m in at.metric if m.label == "Does not match")
    assert odd.value == evaluation.doesnt_match(vectors, ["말1", "말2", "말3"])[0]
    pairs = "".join(f"말{i}\t말{i + 1}\t{i % 5}\n" for i in range(30)) + "없는말\t말1\t2\n"
    next(u for u in at.file_uploader if u.label.startswith("Word pairs")).upload("pairs.tsv", pairs.encode(), "text/plain").run()
    at.button(key="evaluate_pairs").click().run()
    expected = evaluation.evaluate_word_pairs(vectors, pairs.splitlines())
    assert next(m for m in at.metric if m.label == "Spearman").value == f"{expected.spearman:.3f}"
    assert next(m for m in at.metric if m.label == "Out of vocabulary").value == f"{100 / 31:.1f}%"
    assert "Word pairs: human score vs cosine" in chart_titles(at)
    analogies = ": one\n말1 말2 말3 말4\n말5 말6 말7 없는말\n: two\n말8 말9 말10 말11\n"
    next(u for u in at.file_uploader if u.label.startswith("Analogies")).upload("q.txt", analogies.encode(), "text/plain").run()
    at.button(key="evaluate_analogies").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "section" in d.value.columns)
    assert table["section"].tolist() == ["one", "two", "Total accuracy"]
    assert table["out of vocabulary"].tolist() == [1, 0, 1] and table["asked"].tolist() == [1, 1, 2]
    next(u for u in at.file_uploader if u.label.startswith("Analogies")).upload("bad.txt", b"a b c d\n", "text/plain").run()
    at.button(key="evaluate_analogies").click().run()
    assert any("comes before any" in e.value and "header" in e.value for e in at.error)  # shown literally


@pytest.mark.parametrize("method, name", [("tsne", "t-SNE"), ("umap", "UMAP")])
def test_embeddings_map_offers_tsne_and_umap_with_the_same_rings(tmp_path, method, name):
    import numpy as np
    from namuweb.embeddings import embedding_library
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(0)
    words = [f"말{i}/Noun" for i in range(120)]
    (tmp_path / "v.txt").write_bytes(
        Embeddings(words, list(range(120, 0, -1)), rng.normal(size=(120, 8)).astype(np.float32)).word2vec_text())
    embedding_library.import_file((tmp_path / "v.txt").read_bytes(), "v.txt")
    at = page("embeddings")
    at.session_state["projection"] = method
    at.run()
    assert not at.exception and not at.error
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"].startswith(f"{name} map")
    caption = next(c.value for c in at.caption if c.value.startswith(name))
    assert "Ringed: **말0/Noun**" in caption.replace("\\", "")  # the Neighbours tab's word, ringed on this map too


def test_corpora_page_gets_a_catalogue_text_with_progress_and_its_licence(tmp_path, monkeypatch):
    """From an empty server: one click on KoCoNovel's Get starts a download job, and the text arrives in the
    library with its licence in the table and its attribution beside the preview; the Train page's picker
    names the licence too."""
    from corpus_server import write_mirror
    from namuweb import jobs
    from namuweb.corpora import catalogue, downloads
    from namuweb.literal_text import literal
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", str(write_mirror(tmp_path / "mirror")))
    at = page("corpora").run()
    assert not at.exception
    listed = " ".join(m.value for m in at.markdown)
    for entry in catalogue.entries():
        assert literal(entry.title) in listed and literal(entry.licence_line) in listed
    at.button(key="get-koconovel").click().run()
    assert not at.exception
    [job] = downloads.FOLDERS.all()
    assert jobs.wait(job, timeout=120).state == "finished", jobs.log_tail(job)
    at.run()
    table = at.dataframe[0].value
    entry = catalogue.get("koconovel")
    row = table[table["name"] == entry.title].iloc[0]
    assert row["source"] == "download" and row["licence"] == entry.licence_line
    train = page("train").run()
    assert any(entry.licence_line in option for option in train.selectbox[0].options)


def test_corpora_page_add_from_url_refuses_a_bad_address_and_stores_nothing():
    from namuweb.corpora import downloads
    from namuweb.literal_text import literal
    at = page("corpora").run()
    at.text_input(key="download_url").input("file:///etc/passwd").run()
    at.button(key="get-url").click().run()
    assert not at.exception
    assert any(literal("only http:// and https://") in e.value for e in at.error), [e.value for e in at.error]
    assert not downloads.FOLDERS.all()


def test_corpora_page_resumes_a_stopped_download(monkeypatch):
    """A download stopped part-way shows where it stopped and a Resume button that starts the same job again."""
    from namuweb import jobs
    from namuweb.corpora import downloads
    job_dir = downloads.create("koconovel")
    jobs.write_status(job_dir, state="stopped", kind=downloads.DOWNLOAD.name, created=0,
                      progress=jobs.Progress(done=0.4, total=2.1, unit="MB"))
    started = []
    monkeypatch.setattr(jobs, "start", lambda kind, folder, **options: started.append((kind.name, Path(folder))))
    at = page("corpora").run()
    assert not at.exception and any("stopped at" in w.value for w in at.warning)
    at.button(key=f"resume-download-{job_dir.name}").click().run()
    assert not at.exception and started == [("download", job_dir)]
