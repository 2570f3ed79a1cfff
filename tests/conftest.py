"""Keep every test away from the real data directory and environment settings."""

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point NAMUWEB_HOME at a fresh temporary directory and return it."""
    home = tmp_path / "namuweb-home"
    monkeypatch.setenv("NAMUWEB_HOME", str(home))
    monkeypatch.delenv("NAMUWEB_MAX_UPLOAD_MB", raising=False)
    for name in ("NAMUWEB_DEMO", "NAMUWEB_DEMO_MAX_STEPS", "NAMUWEB_DEMO_MAX_CORPUS_MB", "NAMUWEB_DEMO_MAX_JOB_SECONDS"):
        monkeypatch.delenv(name, raising=False)  # demo mode only where a test turns it on
    return home


@pytest.fixture
def kill_leftover_workers(isolated_home):
    """Whatever a test leaves running is killed and reaped, pass or fail."""
    from namuweb import jobs
    yield
    for path in isolated_home.rglob(jobs.STATUS_FILE):
        status = jobs.read_status(path.parent)
        if status is not None and jobs.process_alive(status.pid, status.pid_start):
            jobs._kill(status.pid)
        if status is not None:
            jobs._reap(status.pid, status.pid_start)
