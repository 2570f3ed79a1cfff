"""A public demo counts jobs per visitor, where a visitor is a browser (the app's visitor cookie), not a
Streamlit session: a reload or a second tab never gives anyone a second job; another browser gets one."""

import re

from playwright.sync_api import expect

PER_VISITOR = re.compile("per visitor at a time, and yours")


def tag_the_corpus(page, app, wait_for_app) -> None:
    page.goto(f"{app}/tagger")
    wait_for_app(page, timeout=60_000)
    page.get_by_role("tab", name="Tag a corpus").click()
    wait_for_app(page, timeout=60_000)
    page.get_by_role("button", name="Tag the corpus").click()
    wait_for_app(page, timeout=60_000)


def test_a_reload_or_a_second_tab_never_holds_a_second_demo_job(serve_app, browser, wait_for_app, tmp_path,
                                                                 monkeypatch):
    from namuweb import jobs
    from namuweb.jobs.kinds import everything
    home = tmp_path / "home"
    monkeypatch.setenv("NAMUWEB_HOME", str(home))
    for name, value in {"NAMUWEB_DEMO": "1", "NAMUWEB_DEMO_MAX_JOBS": "2", "NAMUWEB_DEMO_MAX_STEPS": "1000000",
                        "NAMUWEB_DEMO_MAX_JOB_SECONDS": "600"}.items():
        monkeypatch.setenv(name, value)
    first = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    second = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    try:
        with serve_app(home, tmp_path / "streamlit.log", warm=False) as app:
            visitor = first.new_page()
            visitor.goto(f"{app}/generate")
            wait_for_app(visitor, timeout=60_000)
            visitor.get_by_role("button", name="Train the quick demo").click()
            expect(visitor.get_by_text("A model is training")).to_be_visible(timeout=60_000)
            assert any(c["name"] == "namuweb_visitor" and c["httpOnly"] for c in first.cookies())

            visitor.reload()  # a new Streamlit session, the same browser
            wait_for_app(visitor, timeout=60_000)
            tag_the_corpus(visitor, app, wait_for_app)
            expect(visitor.get_by_text(PER_VISITOR)).to_be_visible(timeout=30_000)
            other_tab = first.new_page()  # a second tab: the same visitor too
            tag_the_corpus(other_tab, app, wait_for_app)
            expect(other_tab.get_by_text(PER_VISITOR)).to_be_visible(timeout=30_000)

            someone_else = second.new_page()
            tag_the_corpus(someone_else, app, wait_for_app)
            expect(someone_else.get_by_text(PER_VISITOR)).to_have_count(0)
            started = [status for _, status in everything()]  # the tagging may already have finished
            assert sorted(s.kind for s in started) == ["tag", "train"], started
            assert len({s.owner for s in started}) == 2 and all(s.owner.startswith("browser:") for s in started)
    finally:
        for job_dir, _ in jobs.active_everywhere():
            jobs.request_stop(job_dir)
        for job_dir, _ in jobs.active_everywhere():
            jobs.wait(job_dir, timeout=60)
        first.close()
        second.close()
