"""The server never imports TensorFlow (seconds of one core and hundreds of MB, while every visitor's page
waits): every page opened, and the buttons that read a model clicked (Validation loss now, Generate, Inspect),
in a fresh process that imports nothing else, which then says whether ``tensorflow`` or ``keras`` got in."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CLICK_THROUGH = textwrap.dedent("""
    import json, sys
    from streamlit.testing.v1 import AppTest
    from namuweb.language_model import runs

    def page(name):
        return AppTest.from_file(f"app_pages/{name}.py", default_timeout=120)

    shown = {}
    for name in ("home", "corpora", "tagger", "embeddings", "vocabulary", "train", "generate", "inspect"):
        at = page(name).run()
        shown[name] = [str(e.value)[:200] for e in at.exception]
    run = runs.list_runs()[0]
    at = page("train").run()
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key=f"evaluate-{run.id}").click().run()
    shown["validation"] = [s.value for s in at.success]
    at = page("generate").run()
    next(b for b in at.button if b.label == "Generate").click().run()
    shown["generated"] = [c.value for c in at.code][:1]  # the copy box: the sample exactly
    shown["inspected"] = [m.value[:40] for m in page("inspect").run().markdown][:1]
    print(json.dumps({"loaded": sorted(m for m in ("tensorflow", "keras") if m in sys.modules), "shown": shown}))
""")


def test_no_page_and_no_button_brings_tensorflow_into_the_server(tmp_path):
    env = dict(os.environ, NAMUWEB_HOME=str(tmp_path / "home"))
    trained = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", "builtin", "--preset", "custom",
                              "--embedding", "12", "--units", "16", "--batch", "8", "--seq-len", "20",
                              "--learning-rate", "0.02", "--steps", "5"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr[-2000:]
    clicked = subprocess.run([sys.executable, "-c", CLICK_THROUGH], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=600)
    assert clicked.returncode == 0, clicked.stderr[-3000:]
    report = json.loads(clicked.stdout.strip().splitlines()[-1])
    assert not any(report["shown"][name] for name in ("home", "corpora", "tagger", "embeddings", "vocabulary",
                                                       "train", "generate", "inspect")), report["shown"]
    assert report["shown"]["validation"] and report["shown"]["validation"][0].startswith("Validation loss at step 5")
    assert report["shown"]["generated"] and report["shown"]["generated"][0].startswith("한국에서는")
    assert report["loaded"] == [], f"the server's process imported {report['loaded']}"
