from namuweb import charts
from namuweb.text.vocab_report import report

R = report("한국에서는 나무위키 말뭉치를 만들어보자. ABC 123 ㅋㅋ\n")


def test_frequency_bars_take_top_n_and_scale():
    spec = charts.frequency_bars(R.table(), top_n=5, log_scale=True).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 5
    assert [r["count"] for r in rows] == sorted(R.vocab.counts, reverse=True)[:5]
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    linear = charts.frequency_bars(R.table(), top_n=5).to_dict()
    assert linear["encoding"]["y"]["scale"]["type"] == "linear"


def test_coverage_curve_marks_each_level():
    marks = R.tokens_to_cover()
    spec = charts.coverage_curve(R.coverage(), marks).to_dict()
    label_rows = [rows for rows in spec["datasets"].values() if rows and "label" in rows[0]][0]
    assert [r["tokens"] for r in label_rows] == list(marks.values())


def test_category_colours_are_shared_between_charts():
    bars = charts.frequency_bars(R.table()).to_dict()
    cats = charts.category_bars(R.by_category()).to_dict()
    assert bars["encoding"]["color"]["scale"]["domain"] == cats["encoding"]["color"]["scale"]["domain"]
