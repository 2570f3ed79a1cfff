"""A training job outlives the Streamlit server: after a restart it is found, and a dead one is not "running"."""

import os
import re
import signal

from playwright.sync_api import expect

from ui import expect_state


def test_a_running_job_is_found_after_a_server_restart(serve_app, browser, wait_for_app, tmp_path, monkeypatch):
    from namuweb import jobs
    from namuweb.language_model import runs
    home = tmp_path / "home"
    log = tmp_path / "streamlit.log"
    monkeypatch.setenv("NAMUWEB_HOME", str(home))
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    page = context.new_page()
    try:
        with serve_app(home, log, warm=False) as app:  # the Train page needs no warm tagger
            page.goto(f"{app}/train")
            wait_for_app(page, timeout=60_000)
            expect(page.get_by_text(re.compile("steps per epoch"))).to_be_visible(timeout=60_000)
            page.get_by_role("button", name="Train").click()
            expect_state(page, "running")
            heading = page.get_by_role("heading", name=re.compile(" · quick demo · ")).inner_text()
        # The server is gone; the worker, in its own session, is not.
        (run,) = runs.list_runs()
        assert run.state == "running", run.state

        with serve_app(home, log, warm=False) as app:  # the Train page needs no warm tagger
            page.goto(f"{app}/train")
            wait_for_app(page, timeout=60_000)
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            expect_state(page, "running")
            expect(page.get_by_text("A new one waits in line")).to_be_visible()  # a second run would wait its turn

            os.kill(jobs.read_status(run.path).pid, signal.SIGKILL)
            expect_state(page, "interrupted", timeout=30_000)
            expect(page.get_by_role("button", name="Train")).to_be_enabled(timeout=30_000)
    finally:
        context.close()
