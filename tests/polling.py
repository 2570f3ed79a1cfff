"""Waiting for another process without fixed sleeps."""

import time

import pytest


def poll_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Call ``predicate`` until it returns something truthy and return that; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"{what} not met within {timeout} s")
