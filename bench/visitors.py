"""Several visitors at once: Generate and Tagger pages, alone and mixed, on one server.

    python bench/visitors.py [--rounds 2] [--home DIR]

Starts the app as ``./scripts/app`` does (``serve.py``, with its warm-up) on a fresh data directory
holding a quick-demo model trained by the command line, then drives headless Chromium: each visitor
is a page of its own browser context.  A Tagger visitor opens a link with a sentence and Okt and
waits until the page is idle with the tags shown; a Generate visitor opens the page, clicks
Generate (200 characters) and waits until the page is idle with the sample shown.  Seconds are
from the request to the idle page.  Each line is one warm round of 1, 4 or 8 visitors, of one kind
alone or 4 + 4 mixed, and the ratios say how much the mixed pages slowed each kind down.  Last,
the server's own CPU seconds for one view of each page (``/proc/PID/stat`` of the server process,
the taggers' and workers' processes not included), the median of several sequential views.

Goals (issue 31): mixed/alone within 1.5x for both kinds, no mixed page over 15 s warm, and the
server's CPU per view of Generate and Tagger half of what it was (1.28 s and 0.48 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TAG_TEXT = "한국어 형태소 분석은 생각보다 재미있습니다"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The page is connected, its script has finished and it stayed so for the settle time (as the e2e tests wait).
IDLE_JS = """
(settleMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busy = ["initial", "running", "rerunRequested", "stopRequested"];
  const idle = !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && !busy.includes(app.getAttribute("data-test-script-state"))
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]');
  const now = performance.now();
  if (!idle) { window.__idleSince = null; return false; }
  if (window.__idleSince == null) { window.__idleSince = now; }
  return now - window.__idleSince >= settleMs;
}
"""
TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(home: Path, log: Path):
    """The app on a free port with ``home`` as its data directory; yields (base URL, server PID)."""
    port = free_port()
    env = dict(os.environ, NAMUWEB_HOME=str(home), PYTHONUNBUFFERED="1")
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "serve.py", "--server.headless", "true", "--server.port", str(port),
                                 "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server ended; see {log}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {log}")
            time.sleep(0.25)
        yield url, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def train_quick_demo(home: Path) -> None:
    """The quick demo's model, trained by the command line as a visitor's first click would."""
    done = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", "builtin", "--preset", "demo"],
                          cwd=ROOT, env=dict(os.environ, NAMUWEB_HOME=str(home)), capture_output=True, text=True)
    if done.returncode not in (0, 3):  # 3: stopped below its quality floor, still a usable model
        raise SystemExit(f"training the quick demo failed:\n{done.stderr[-2000:]}")


async def idle(page) -> None:
    await page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    await page.evaluate("() => { window.__idleSince = null; }")
    await page.wait_for_function(IDLE_JS, arg=300, timeout=TIMEOUT_MS, polling=100)


async def tagger_visit(page, url: str) -> float:
    started = time.monotonic()
    await page.goto(f"{url}/tagger?text={quote(TAG_TEXT)}&engine=okt")
    await page.locator('[data-testid="stText"]').filter(has_text="형태소/Noun").first.wait_for(timeout=TIMEOUT_MS)
    await idle(page)
    return time.monotonic() - started


async def generate_visit(page, url: str) -> float:
    started = time.monotonic()
    await page.goto(f"{url}/generate")
    await idle(page)
    await page.get_by_role("button", name="Generate", exact=True).click()
    await page.get_by_text("new characters").first.wait_for(timeout=TIMEOUT_MS)
    await idle(page)
    return time.monotonic() - started


VISITS = {"tagger": tagger_visit, "generate": generate_visit}


async def one_round(browser, url: str, kinds: list[str], used: dict | None = None,
                    server_pid: int | None = None) -> dict[str, list[float]]:
    """Every visitor in ``kinds`` at once, each in a browser context of its own; seconds per kind.  With
    ``used``, the CPU seconds each owner spent in the round and its wall time go there (read before the
    contexts close: a closed page's renderer takes its CPU time with it)."""
    contexts = [await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR") for _ in kinds]
    try:
        pages = [await c.new_page() for c in contexts]
        before, started = cpu_by_owner(server_pid), time.monotonic()
        seconds = await asyncio.gather(*(VISITS[kind](page, url) for kind, page in zip(kinds, pages)))
        if used is not None:
            after = cpu_by_owner(server_pid)
            used.update(wall=time.monotonic() - started, **{owner: after[owner] - before[owner] for owner in after})
    finally:
        for c in contexts:
            await c.close()
    result: dict[str, list[float]] = {}
    for kind, s in zip(kinds, seconds):
        result.setdefault(kind, []).append(s)
    return result


def _stat(pid) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process itself (its children not included)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_owner(server_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of the server process, its helpers (samplers, taggers, maps: the server's process
    group less itself) and Chromium (every process whose command names it), for the share of a round each took."""
    totals = {"server": 0.0, "server's workers": 0.0, "browser": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or (fields := _stat(entry.name)) is None:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if server_pid is not None and int(entry.name) == server_pid:
            totals["server"] += seconds
        elif server_pid is not None and int(fields[2]) == server_pid:  # field 5: the process group
            totals["server's workers"] += seconds
        else:
            try:
                if b"chrom" in (entry / "cmdline").read_bytes()[:200]:
                    totals["browser"] += seconds
            except OSError:
                pass
    return totals


async def cpu_per_view(browser, url: str, pid: int, kind: str, views: int) -> float:
    """Median server CPU seconds of one view of ``kind``, one visitor at a time, warm."""
    costs = []
    for _ in range(views):
        before = server_cpu_s(pid)
        await one_round(browser, url, [kind])
        await asyncio.sleep(0.5)  # the session's last messages
        costs.append(server_cpu_s(pid) - before)
    return statistics.median(costs)


SCENARIOS = [("1 tagger", ["tagger"]), ("1 generate", ["generate"]),
             ("4 tagger", ["tagger"] * 4), ("4 generate", ["generate"] * 4),
             ("8 tagger", ["tagger"] * 8), ("8 generate", ["generate"] * 8),
             ("4 + 4 mixed", ["tagger", "generate"] * 4)]


async def measure(url: str, pid: int | None, rounds: int = 2, scenarios=SCENARIOS, cpu_views: int = 3) -> dict:
    """Seconds per page for each scenario (the last of ``rounds`` warm rounds after a cold one) and,
    with the server's ``pid``, its CPU seconds per view of each page."""
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                          args=CHROMIUM_ARGS)
        try:
            await one_round(browser, url, ["tagger", "generate"])  # cold: engines, model and front end load
            results, cpu_of_rounds = {}, {}
            for name, kinds in scenarios:
                for _ in range(rounds):
                    cpu_of_rounds[name] = {}
                    results[name] = await one_round(browser, url, kinds, cpu_of_rounds[name], pid)
            cpu = {}
            if pid is not None:
                for kind in VISITS:
                    cpu[kind] = await cpu_per_view(browser, url, pid, kind, cpu_views)
            return {"seconds": results, "cpu": cpu, "rounds": cpu_of_rounds}
        finally:
            await browser.close()


def measure_in_thread(*args, **kwargs) -> dict:
    """:func:`measure` on a thread of its own: callable where a synchronous Playwright already runs."""
    box = {}

    def work():
        try:
            box["result"] = asyncio.run(measure(*args, **kwargs))
        except BaseException as problem:  # noqa: BLE001 -- handed to the caller
            box["error"] = problem
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def table(result: dict) -> list[str]:
    seconds = result["seconds"]
    lines = [f"{'scenario':<14} {'page':<9} {'median s':>9} {'max s':>7}"]
    for name, per_kind in seconds.items():
        for kind, values in per_kind.items():
            lines.append(f"{name:<14} {kind:<9} {statistics.median(values):>9.2f} {max(values):>7.2f}")
    mixed = seconds.get("4 + 4 mixed", {})
    for kind in VISITS:
        alone = seconds.get(f"4 {kind}", {}).get(kind)
        if alone and mixed.get(kind):
            lines.append(f"{kind}: 4 mixed with 4 of the other kind / 4 alone = "
                         f"{statistics.median(mixed[kind]) / statistics.median(alone):.2f}x (goal <= 1.5x)")
    for kind in VISITS:  # the same doubling with no other kind of page: what these cores give, whatever the server does
        four, eight = seconds.get(f"4 {kind}", {}).get(kind), seconds.get(f"8 {kind}", {}).get(kind)
        if four and eight:
            lines.append(f"{kind}: 8 alone / 4 alone = {statistics.median(eight) / statistics.median(four):.2f}x "
                         "(twice the pages of one kind, for comparison)")
    if mixed:
        lines.append(f"slowest mixed page: {max(max(v) for v in mixed.values()):.2f} s (goal <= 15 s)")
    cores = os.cpu_count() or 1
    for name, used in result.get("rounds", {}).items():
        total = sum(v for k, v in used.items() if k != "wall")
        lines.append(f"{name}: {used['wall']:.1f} s for the round; CPU s: " + ", ".join(
            f"{owner} {seconds:.1f}" for owner, seconds in used.items() if owner != "wall")
            + f"; all of it on {cores} cores takes at least {total / cores:.1f} s")
    for kind, cpu in result["cpu"].items():
        before = {"generate": 1.28, "tagger": 0.48}[kind]
        lines.append(f"server CPU per {kind} view: {cpu:.2f} s ({cpu / before:.2f}x the {before:.2f} s measured "
                     "in issue 31; goal <= 0.5x)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="warm rounds per scenario (the last one counts)")
    parser.add_argument("--home", type=Path, help="a data directory with a trained model (default: train one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="namuweb-visitors-") as tmp:
        home = args.home or Path(tmp) / "home"
        if args.home is None:
            home.mkdir()
            print("training the quick demo's model …", flush=True)
            train_quick_demo(home)
        print(f"{os.cpu_count()} cores; server log in {tmp}/server.log", flush=True)
        with serve(home, Path(tmp) / "server.log") as (url, pid):
            result = measure_in_thread(url, pid, rounds=args.rounds)
        print("\n".join(table(result)))


if __name__ == "__main__":
    main()
