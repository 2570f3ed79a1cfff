"""The server's memory after visitors upload large files and leave.

    python bench/uploads.py [--uploads 10] [--megabytes 150]

Starts the app as ``./scripts/app`` does (``serve.py``, a fresh data directory), then, one visitor
after another, each in a browser context of its own: open the Corpora page, upload a text file of
the given size, wait until the page says it is stored, close the context. Prints the server
process's resident memory at the start, after each visitor and at the end, and the end's rise over
the start against the goal (within 200 MB after ten 150 MB uploads), also as a share of all the
bytes uploaded (the baseline: a server that kept every upload would hold about 100 %).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024
GOAL_MB = 200
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && !["initial", "running", "rerunRequested", "stopRequested"].includes(app.getAttribute("data-test-script-state"));
}"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def write_text(path: Path, megabytes: float) -> int:
    from namuweb.corpora.corpus import ensure_builtin
    block = ensure_builtin().path.read_text(encoding="utf-8")
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < megabytes * MB:
            out.write(block)
            written += len(block.encode("utf-8"))
    return written


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, NAMUWEB_HOME=str(home), NAMUWEB_WARMUP="0", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the server did not start; see {log}")


def upload_and_leave(browser, url: str, path: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/corpora")
    page.wait_for_function(IDLE_JS, timeout=60_000)
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    if not dropzone.count():
        page.get_by_text("Add a corpus").click()
    dropzone.set_input_files(str(path))
    page.get_by_text("Stored “").wait_for(timeout=300_000)
    context.close()


def sample_peak(pid: int, peak: list, done: threading.Event) -> None:
    while not done.wait(0.05):
        peak[0] = max(peak[0], rss_mb(pid))


def settled_rss(pid: int, seconds: float = 10.0) -> float:
    """The server's RSS once it stops falling (sessions end, memory is freed), at most ``seconds``."""
    last = rss_mb(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = rss_mb(pid)
        if now >= last - 1:
            return now
        last = now
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--megabytes", type=float, default=150)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = tmp / "upload.txt"
        size = write_text(text, args.megabytes)
        proc, url = start_server(tmp / "home", tmp / "server.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                             headless=True, args=["--no-sandbox", "--disable-gpu"])
                first = browser.new_context().new_page()  # the app's own pages and imports loaded once
                first.goto(f"{url}/corpora")
                first.wait_for_function(IDLE_JS, timeout=60_000)
                first.context.close()
                start = settled_rss(proc.pid)
                print(f"{args.uploads} visitors each upload {size / MB:,.0f} MB of text on the Corpora page and leave")
                print(f"server RSS at the start          {start:7,.0f} MB")
                peak, sampling = [start], threading.Event()
                sampler = threading.Thread(target=sample_peak, args=(proc.pid, peak, sampling), daemon=True)
                sampler.start()
                for i in range(args.uploads):
                    upload_and_leave(browser, url, text)
                    print(f"  after visitor {i + 1:2d}                {rss_mb(proc.pid):7,.0f} MB")
                sampling.set()
                sampler.join()
                browser.close()
            end = settled_rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    rise = end - start
    uploaded = args.uploads * size / MB
    met = "met" if rise <= GOAL_MB else "NOT met"
    print(f"server RSS at the end            {end:7,.0f} MB   (peak {peak[0]:,.0f} MB while receiving)")
    print(f"held after the visitors left     {rise:7,.0f} MB   = {rise / uploaded:.1%} of the "
          f"{uploaded:,.0f} MB uploaded (goal <= {GOAL_MB} MB: {met})")
    print(f"bench took {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
