"""Helper processes the server talks to over pipes (the taggers' engines, the maps' worker): the two
things each needs the same way, so a hung or orphaned helper is dealt with alike."""

from __future__ import annotations

import os
import subprocess
import time


def exit_with_parent(parent: int) -> None:
    """In the helper, on a daemon thread: exit when the server is gone, even in the middle of a hung call."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def stop(proc: subprocess.Popen, log) -> None:
    """In the server: kill the helper (a hung call cannot be interrupted otherwise), reap it and close
    its pipes and its stderr log."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass
    log.close()
