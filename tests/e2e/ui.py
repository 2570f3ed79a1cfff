"""What the browser tests read off a page: metrics, the run state, the step counter."""

from pathlib import Path

from playwright.sync_api import expect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"


def metric_value(page, label):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def expect_state(page, state: str, timeout: float = 90_000) -> None:
    """The run's State metric shows ``state`` (a fragment rerun may briefly show old and new elements)."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="State").filter(has_text=state)
    expect(metric.first).to_be_visible(timeout=timeout)


def current_step(page) -> int:
    text = metric_value(page, "Step").last.inner_text()
    return int(text.split("/")[0].replace(",", "").strip())


def wait_for_step(page, at_least: int, what: str, timeout_s: float = 120.0) -> int:
    """Poll the run's Step metric (the page redraws it live) until it shows ``at_least``; return it.

    The bound names what was awaited, so a failure says which state never came."""
    import time
    deadline = time.monotonic() + timeout_s
    step = -1
    while time.monotonic() < deadline:
        try:
            step = current_step(page)
        except (ValueError, IndexError):  # the metric is being redrawn
            step = -1
        if step >= at_least:
            return step
        page.wait_for_timeout(250)
    raise AssertionError(f"{what}: the run did not reach step {at_least} within {timeout_s:.0f} s "
                         f"(the page showed step {step})")


def open_from_sidebar(page, path: str, wait_for_app) -> float:
    """Click the sidebar's link to ``/path`` ("" for home), as a visitor moves between tools; wait until idle.

    Returns seconds from the click to the idle page, on the browser's clock. A link keeps the
    visitor's session and the loaded front end; a ``goto`` loads both anew, twice the browser's work,
    and stays for the tests about what a URL does."""
    clicked = page.evaluate("() => performance.now()")
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').click()
    page.wait_for_url(lambda url: url.split("?", 1)[0].split("/", 3)[3].strip("/") == path)
    return wait_for_app(page) - clicked / 1000
