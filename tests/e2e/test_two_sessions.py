"""Two visitors at once: one trains a char-LSTM while the other tags and generates.

The worker trains in its own process, so the server should stay responsive for everyone.  The
bound is generous (a loaded 2-core CI machine); the figures are printed so a slowdown shows.
"""

import re
import time
from urllib.parse import quote

from playwright.sync_api import expect

from ui import expect_state, open_from_sidebar, wait_for_step

RESPONSE_BOUND_S = 30.0


def visitor_tags_and_generates(page, app, wait_for_app) -> dict[str, float]:
    """Seconds from request to answer for a tagged sentence and a generated text."""
    timings = {}
    started = time.monotonic()
    page.goto(f"{app}/tagger?text={quote('한국어 형태소 분석은 재미있습니다')}&engine=okt")
    expect(page.locator('[data-testid="stText"]').first).to_contain_text("형태소/Noun", timeout=60_000)
    timings["tag"] = time.monotonic() - started
    open_from_sidebar(page, "generate", lambda p: wait_for_app(p, timeout=60_000))
    started = time.monotonic()
    page.get_by_role("button", name="Generate").click()
    expect(page.locator(".namuweb-sample").first).to_contain_text("한국에서는", timeout=60_000)
    timings["generate"] = time.monotonic() - started
    return timings


def test_one_visitor_trains_while_another_tags_and_generates(app_server, usable_run, browser, wait_for_app,
                                                             figure):

    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR") for _ in range(2)]
    trainer_page, visitor_page = (c.new_page() for c in contexts)
    try:
        idle = visitor_tags_and_generates(visitor_page, app_server, wait_for_app)

        trainer_page.goto(f"{app_server}/train")
        wait_for_app(trainer_page, timeout=60_000)
        expect(trainer_page.get_by_text(re.compile("steps per epoch"))).to_be_visible(timeout=60_000)
        trainer_page.get_by_role("button", name="Train").click()
        expect_state(trainer_page, "running")
        # "running" comes before TensorFlow has even imported: the visitor starts once steps are being written.
        step_before = wait_for_step(trainer_page, 1, "the training job's first step")

        busy = visitor_tags_and_generates(visitor_page, app_server, wait_for_app)
        started = time.monotonic()
        trainer_page.reload()
        expect_state(trainer_page, "running", timeout=60_000)
        busy["reload the training page"] = time.monotonic() - started
        step_after = wait_for_step(trainer_page, step_before + 1, "training while the other visitor worked",
                                   timeout_s=60)

        figure("response times, idle → while another visitor trains: " + ", ".join(
            f"{name} {idle[name]:.2f} → {seconds:.2f} s" if name in idle else f"{name} {seconds:.2f} s"
            for name, seconds in busy.items()))
        for name, seconds in busy.items():
            assert seconds < RESPONSE_BOUND_S, f"{name} took {seconds:.1f} s while a model trained"

        trainer_page.get_by_role("button", name="Stop").click()
        expect_state(trainer_page, "stopped", timeout=90_000)
    finally:
        for context in contexts:
            context.close()
