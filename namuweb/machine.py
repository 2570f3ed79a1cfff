"""What this machine can do, for the home page's status panel.

TensorFlow is probed in a child process: importing it takes seconds and
hundreds of MB, and the home page must not pay that just to say a version. On a Linux machine
without a GPU driver there is nothing for the probe to find, so the installed versions are read
from the package metadata instead and a fresh server's two cores stay with its first visitors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

_TF_PROBE = """
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
print(json.dumps({"version": tf.__version__, "keras": __import__("keras").__version__,
                  "gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}))
"""


@dataclass(frozen=True)
class Check:
    ok: bool
    summary: str
    detail: str = ""


NO_GPU = "no GPU visible: training runs on the CPU"


def gpu_driver_present() -> bool:
    """Whether TensorFlow could see a GPU here: anywhere but Linux we cannot tell without asking it.

    TensorFlow reaches NVIDIA GPUs through the kernel driver's /dev/nvidia* devices and AMD ones
    (ROCm builds) through /dev/kfd; without either, ``list_physical_devices("GPU")`` is empty."""
    if not sys.platform.startswith("linux"):
        return True
    dev = Path("/dev")
    return (dev / "kfd").exists() or any(dev.glob("nvidia[0-9]*")) or Path("/proc/driver/nvidia").exists()


def _installed_versions() -> tuple[str, str] | None:
    for name in ("tensorflow", "tensorflow-cpu"):
        try:
            return metadata.version(name), metadata.version("keras")
        except metadata.PackageNotFoundError:
            continue
    return None


def tensorflow_status(timeout: float = 120, nice: int = 0) -> Check:
    """``nice``: how far below the server's priority the probe runs (a background check yields the CPU)."""
    versions = None if gpu_driver_present() else _installed_versions()
    if versions is not None:
        return Check(True, f"TensorFlow {versions[0]} (Keras {versions[1]})", NO_GPU)
    try:
        done = subprocess.run([sys.executable, "-c", f"import os; os.nice({int(nice)})\n" + _TF_PROBE],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Check(False, "TensorFlow did not answer in time", f"import took over {timeout:.0f} s")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        return Check(False, "TensorFlow is not usable", last)
    info = json.loads(done.stdout.strip().splitlines()[-1])
    gpus = info["gpus"]
    where = f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} visible" if gpus else NO_GPU
    return Check(True, f"TensorFlow {info['version']} (Keras {info['keras']})", where)


def java_status() -> Check:
    """konlpy's taggers need a JVM that JPype can load."""
    try:
        import jpype
        jvm = jpype.getDefaultJVMPath()
    except Exception as error:  # JPype raises its own errors when no JVM is installed
        java = shutil.which("java")
        hint = "install a Java runtime (Debian: apt-get install default-jre-headless) or set JAVA_HOME"
        return Check(False, "no Java runtime found for konlpy", f"{error}; {hint}" if not java else str(error))
    return Check(True, "Java runtime found for konlpy", jvm)
