"""Where namuweb keeps its data and how large an upload may be.

The upload limit is read from the same ``.streamlit/config.toml`` that
Streamlit uses for ``server.maxUploadSize``, so the widget in the app and the
check in the library cannot drift apart.  Environment variables override both
for deployments and tests.  No Streamlit import: this is backend code.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

HOME_ENV = "NAMUWEB_HOME"
MAX_UPLOAD_ENV = "NAMUWEB_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 200
MB = 1024 * 1024  # Streamlit multiplies server.maxUploadSize by 1024 * 1024 too.

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STREAMLIT_CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"


def data_home() -> Path:
    """The data directory (created on demand): ``$NAMUWEB_HOME`` or ``./namuweb-data``."""
    configured = os.environ.get(HOME_ENV)
    home = Path(configured).expanduser() if configured else Path.cwd() / "namuweb-data"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def _streamlit_max_upload_mb() -> int:
    """``server.maxUploadSize`` from the project's Streamlit config, or the default."""
    try:
        with STREAMLIT_CONFIG.open("rb") as f:
            value = tomllib.load(f)["server"]["maxUploadSize"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return DEFAULT_MAX_UPLOAD_MB
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_UPLOAD_MB


def max_upload_bytes() -> int:
    """The largest upload accepted, in bytes (``$NAMUWEB_MAX_UPLOAD_MB`` wins)."""
    configured = os.environ.get(MAX_UPLOAD_ENV)
    if configured:
        try:
            megabytes = int(configured)
        except ValueError:
            raise ValueError(f"{MAX_UPLOAD_ENV} must be a whole number of megabytes, got {configured!r}") from None
        if megabytes <= 0:
            raise ValueError(f"{MAX_UPLOAD_ENV} must be positive, got {configured!r}")
    else:
        megabytes = _streamlit_max_upload_mb()
    return megabytes * MB
