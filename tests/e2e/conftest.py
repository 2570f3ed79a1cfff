"""Browser (end-to-end) test fixtures: a real Streamlit server driven by headless Chromium.

Fixtures
--------
``namuweb_home`` (session)  the NAMUWEB_HOME directory the server uses (a fresh tmp dir).
``app_server``   (session)  starts ``python serve.py`` (``streamlit run streamlit_app.py`` after a warm-up) on a
                            free localhost port and yields its base URL, e.g. ``http://localhost:41234``.
``browser``      (session)  Playwright Chromium (Debian's ``/usr/bin/chromium``, or ``$CHROMIUM_PATH``).
``page``         (function) a fresh context + page (1400x1000, locale ko-KR); on teardown a
                            screenshot goes to ``<project>/test-artifacts/<test name>.png``.
``wait_for_app`` (function) the :func:`wait_for_app` helper below, as a fixture, so test modules
                            need no import from this file.

Example::

    def test_vocabulary_page(app_server, page, wait_for_app):
        page.goto(f"{app_server}/vocabulary")
        wait_for_app(page)
        page.get_by_role("button", name="분석").click()
        wait_for_app(page)
        assert page.get_by_text("결과").is_visible()

Browsers are never downloaded here (``playwright install`` cannot reach the network); the tests
fail, rather than skip, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from ui import ARTIFACTS_DIR, PROJECT_ROOT
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60.0
SETUP_HINT = (
    "Install the browser test prerequisites with the project's setup script "
    "(it runs `apt-get install -y chromium fonts-noto-cjk` and "
    "`pip install -r requirements-test.txt`), or point CHROMIUM_PATH at a Chromium binary."
)


# --------------------------------------------------------------------------- helpers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(log_path: Path, limit: int = 6000) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<could not read server log {log_path}: {exc}>"
    return text[-limit:]


def _stop_process_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


# JS predicate: the app is connected, the script has finished running, and it has stayed
# that way for `settleMs` (so a rerun that a click is about to trigger is not missed).
# stApp carries data-test-script-state = initial | running | notRunning | rerunRequested |
# stopRequested | compilationError and data-test-connection-state = CONNECTED | ...
_IDLE_JS = """
(settleMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busyStates = ["initial", "running", "rerunRequested", "stopRequested"];
  const idle = !!app
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && !busyStates.includes(app.getAttribute("data-test-script-state"))
    && !document.querySelector(
         '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]');
  const now = performance.now();
  if (!idle) { window.__namuwebIdleSince = null; return false; }
  if (window.__namuwebIdleSince == null) { window.__namuwebIdleSince = now; }
  return now - window.__namuwebIdleSince >= settleMs;
}
"""


def wait_for_app(page, timeout: float = 30_000, settle_ms: int = 300) -> float:
    """Wait until Streamlit is connected and has finished running the script.

    Call after ``page.goto(...)`` and after every interaction that reruns the app. ``timeout``
    is in milliseconds (Playwright's unit). The state must hold for ``settle_ms`` in a row.
    Returns when the page became idle, in seconds since the page's navigation started (the
    browser's own clock: after a ``goto``, the time from request to an idle page).
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.evaluate("() => { window.__namuwebIdleSince = null; }")
    page.wait_for_function(_IDLE_JS, arg=settle_ms, timeout=timeout, polling=100)
    return page.evaluate("() => window.__namuwebIdleSince") / 1000


IDLE_REFERENCE_S = 0.13  # reference_loop() on an idle 2-core CI machine, best of three


def reference_loop() -> float:
    started = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i * i % 7
    return time.perf_counter() - started


def machine_slowdown() -> float:
    """How many times slower than an idle CI machine this one runs right now (at least 1).

    The first-visit bounds are the product's promise on an idle 2-core machine; a test run on a
    machine that something else keeps busy stretches them by this factor (printed with the time)
    instead of failing for a load that has nothing to do with namuweb."""
    return max(1.0, min(reference_loop() for _ in range(3)) / IDLE_REFERENCE_S)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def namuweb_home(tmp_path_factory) -> Path:
    """The NAMUWEB_HOME directory of the e2e server (fresh, empty at session start)."""
    return tmp_path_factory.mktemp("e2e-namuweb-home")


@contextlib.contextmanager
def serve_app(home: Path, log_path: Path, warm: bool = True) -> Iterator[str]:
    """Run ``python serve.py`` (as ./scripts/app does) with NAMUWEB_HOME=home on a free port; yield its base URL.

    The server gets its own process group and is stopped (TERM, then KILL) on exit.  Jobs it
    started keep running: they live in sessions of their own, as in production.
    """
    app_file = PROJECT_ROOT / "serve.py"  # what ./scripts/app starts: streamlit run, with the warm-up
    if not app_file.is_file():
        pytest.fail(f"{app_file} does not exist; nothing to serve.", pytrace=False)

    port = _free_port()
    env = dict(os.environ)
    env["NAMUWEB_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    env["NAMUWEB_WARMUP"] = "1" if warm else "0"
    # The browser tests reload, restart and stop a running quick demo: give it longer than its 25 s.
    env["NAMUWEB_QUICK_DEMO_SECONDS"] = "600"
    cmd = [
        sys.executable, str(app_file),
        "--server.headless", "true",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: killpg() stops it and its children
        )
    base_url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"Streamlit exited with code {proc.returncode} before becoming healthy.\n"
                    f"command: {' '.join(cmd)}\n--- server log ---\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Streamlit did not answer 'ok' on {base_url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S:.0f} s.\n--- server log ---\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield base_url
    finally:
        _stop_process_group(proc)


@pytest.fixture(scope="session")
def app_server(namuweb_home: Path, tmp_path_factory):
    """The shared app server of the session (fresh home); yields ``http://localhost:PORT``."""
    log_path = tmp_path_factory.mktemp("e2e-server") / "streamlit.log"
    with serve_app(namuweb_home, log_path) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium via Playwright; fails (never skips) when it is not installed."""
    chromium = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        pytest.fail(f"Chromium not found at {chromium!r}. {SETUP_HINT}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"Playwright is not importable ({exc}). {SETUP_HINT}", pytrace=False)

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page; a screenshot is saved on teardown."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.\-]+", "_", request.node.name).strip("_") or "test"
        try:
            pg.screenshot(path=str(ARTIFACTS_DIR / f"{name}.png"))
        except Exception as exc:  # a crashed/closed page must not hide the test's own result
            print(f"[e2e] screenshot for {request.node.nodeid} failed: {exc}", file=sys.stderr)
        context.close()


@pytest.fixture(name="serve_app", scope="session")
def _serve_app_fixture():
    """Return :func:`serve_app`, for tests that need a server of their own (fresh home, restarts)."""
    return serve_app


@pytest.fixture(name="machine_slowdown")
def _machine_slowdown_fixture():
    """Return :func:`machine_slowdown`."""
    return machine_slowdown


@pytest.fixture(name="wait_for_app")
def _wait_for_app_fixture():
    """Return :func:`wait_for_app` so tests can use it without importing this conftest."""
    return wait_for_app


@pytest.fixture
def usable_run(namuweb_home: Path) -> Path:
    """A finished model in the shared server's data directory, for tests that generate from one.

    A tiny model (16 units, 5 steps): the tests that use it check that generation streams while the server
    is busy, not what a good model writes. It is trained by the command line in a process of its own, as a
    user would: TensorFlow once crashed this test process (SIGSEGV in a tf_Compute thread) a minute after
    training here, in the middle of a browser test, and took the shared server's tests down with it."""
    env = dict(os.environ, NAMUWEB_HOME=str(namuweb_home))
    if not _usable_runs(namuweb_home):
        done = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", "builtin", "--preset", "custom",
                               "--embedding", "12", "--units", "16", "--batch", "8", "--seq-len", "20",
                               "--learning-rate", "0.02", "--steps", "5"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    found = _usable_runs(namuweb_home)
    assert found, "no usable run after training one"
    return found[0].path


def _usable_runs(home: Path):
    from namuweb.language_model import generate
    with pytest.MonkeyPatch.context() as scope:
        scope.setenv("NAMUWEB_HOME", str(home))
        return generate.usable_runs()
