"""Keep every test away from the real data directory and environment settings; run tests that
time what a visitor waits for on a machine that nothing else in the suite is loading."""

import fcntl
import os
import sys
import time
from pathlib import Path

import pytest


# Browser test modules that share the session's server run on one worker, in file order (the first
# request test must come first); the others bring their own server and may run beside them.
SHARED_SERVER_MODULES = {"test_browser.py", "test_hostile_visitor.py", "test_two_sessions.py"}
# Tests that start konlpy or Kiwi engines, in the test process's own JVM or in tagger workers (whose pool
# lives in the test process), run on one xdist worker, one after another: each engine's dictionaries load
# once a run instead of once per worker, and an engine's start never competes with Compare's four JVM starts
# on the other worker (a 3 s Tagger page test once took 61 s that way). Whole modules; the Tagger page's
# tests in the page modules; and any test marked ``engines``.
ENGINE_MODULES = {"test_analyzers.py", "test_analyzer_processes.py"}
TAGGER_PAGE_MODULES = {"test_pages.py", "test_security.py", "test_robustness_pages.py"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks to pin each group to one worker
def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(str(item.fspath))
        if "e2e" in path.parts:
            group = "e2e-shared-server" if path.name in SHARED_SERVER_MODULES else f"e2e-{path.stem}"
            item.add_marker(pytest.mark.xdist_group(group))
        elif (path.name in ENGINE_MODULES or item.get_closest_marker("engines") is not None
              or (path.name in TAGGER_PAGE_MODULES and item.name.startswith("test_tagger_page"))):
            item.add_marker(pytest.mark.xdist_group("jvm"))


def pytest_configure(config):
    """Streamlit clears Keras' session after every script run when Keras is imported, a full gc.collect() each
    time, slow in a test process that holds TensorFlow's traced graphs. The app's server never imports Keras
    (namuweb generates with NumPy); a test process does, for the trainer tests, and then paid it for every page
    run and rerun of the page tests. The page tests here run as the server does: without that clean-up, which
    only concerns apps that use Keras."""
    from streamlit.runtime.scriptrunner import script_runner

    def clean_up_as_the_server_does() -> None:  # Streamlit's own clean-up, less its Keras branch
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    assert callable(script_runner._clean_problem_modules), "Streamlit no longer has the clean-up replaced here"
    script_runner._clean_problem_modules = clean_up_as_the_server_does
    # Job workers the tests start import the tests' own job kind (sleep_job.py) from this folder.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))


def pytest_unconfigure(config):
    """pytest then collects garbage five times over, to report exceptions raised in finalizers; in a worker that
    holds TensorFlow, Java and the page tests' objects that took seconds, which the run waited for at its end.
    One collection here still runs every finalizer of the garbage there is (and pytest reports what raises);
    freezing what survives it leaves the five passes nothing to walk through again."""
    import gc
    gc.collect()
    gc.freeze()


@pytest.fixture
def figure(record_property):
    """``figure(text)``: a measurement the run reports at its end (times a visitor waits, peak memory)."""
    def report(text: str) -> None:
        print(text)
        record_property("figure", text)
    return report


def pytest_terminal_summary(terminalreporter):
    """List the tests' measurements after the run: on CI they are the only record of them."""
    lines = [f"{report.nodeid.split('@')[0]}: {value}"
             for outcome in ("passed", "failed") for report in terminalreporter.stats.get(outcome, [])
             if report.when == "call" for name, value in report.user_properties if name == "figure"]
    if lines:
        terminalreporter.section("what the tests measured")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def quiet_lock_dir(tmp_path_factory, worker_id) -> Path:
    """A folder every xdist worker of this run sees (the parent of the workers' own temp folders)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


@pytest.fixture(autouse=True)
def share_the_machine(request, quiet_lock_dir):
    """Every test holds a shared lock while it runs; a test marked ``quiet`` takes it exclusively.

    A quiet test first leaves a request file, so the other worker starts no new test until it is done
    (flock alone would let a stream of shared holders keep the exclusive one waiting)."""
    quiet = request.node.get_closest_marker("quiet") is not None
    wanted, lock_path = quiet_lock_dir / "quiet.request", quiet_lock_dir / "quiet.lock"
    with open(lock_path, "a+") as lock:
        if quiet:
            wanted.touch()
            fcntl.flock(lock, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + 600  # a request left by a killed worker must not stall the run
            while wanted.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield
        finally:
            if quiet:
                wanted.unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point NAMUWEB_HOME at a fresh temporary directory and return it."""
    home = tmp_path / "namuweb-home"
    monkeypatch.setenv("NAMUWEB_HOME", str(home))
    monkeypatch.delenv("NAMUWEB_MAX_UPLOAD_MB", raising=False)
    for name in ("NAMUWEB_DEMO", "NAMUWEB_DEMO_MAX_STEPS", "NAMUWEB_DEMO_MAX_CORPUS_MB", "NAMUWEB_DEMO_MAX_JOB_SECONDS",
                 "NAMUWEB_DEMO_MAX_JOBS", "NAMUWEB_DEMO_MAX_JOBS_PER_SESSION", "NAMUWEB_DEMO_MAX_DOWNLOAD_MB",
                 "NAMUWEB_CORPUS_MIRROR", "NAMUWEB_ALLOW_LOCAL_URLS", "NAMUWEB_MAX_DOWNLOAD_MB",
                 "NAMUWEB_DOWNLOAD_TIMEOUT_S", "NAMUWEB_DOWNLOAD_MIN_RATE", "NAMUWEB_DOWNLOAD_RATE_WINDOW_S"):
        monkeypatch.delenv(name, raising=False)  # demo mode only where a test turns it on
    return home


@pytest.fixture
def kill_leftover_workers(isolated_home):
    """Whatever a test leaves running is killed and reaped, pass or fail."""
    from namuweb import jobs
    yield
    for path in isolated_home.rglob(jobs.STATUS_FILE):
        status = jobs.read_status(path.parent)
        if status is not None and status.pid != os.getpid() and jobs.process_alive(status.pid, status.pid_start):
            jobs.state._kill(status.pid)  # never the test process, which runs jobs in the foreground too
        if status is not None:
            jobs.state._reap(status.pid, status.pid_start)
