"""The README shows a current screenshot of every page of the navigation."""

import hashlib
import json
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFRESH = "refresh them: NAMUWEB_UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e/test_walkthrough.py"


def navigation_pages() -> list[str]:
    return re.findall(r'st\.Page\("app_pages/(\w+)\.py"', (ROOT / "streamlit_app.py").read_text())


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_every_page_has_a_screenshot_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    pages = navigation_pages()
    assert len(pages) == 7
    for name in pages:
        shot = ROOT / "docs" / "screenshots" / f"{name}.png"
        assert f"docs/screenshots/{name}.png" in readme, f"README does not show {shot.name}"
        assert png_size(shot) == (1400, 1000), f"{shot} is not a walkthrough photograph"


def test_every_screenshot_shows_the_current_source_of_its_page():
    """The walkthrough records in docs/screenshots/manifest.json, per page, the sha256 of
    app_pages/<page>.py when it photographed that page; a page edited since has a stale photograph."""
    manifest = ROOT / "docs" / "screenshots" / "manifest.json"
    assert manifest.is_file(), f"no {manifest.relative_to(ROOT)}, so no screenshot is known to be current; {REFRESH}"
    shots = json.loads(manifest.read_text())
    stale = [name for name in navigation_pages()
             if shots.get(name) != hashlib.sha256((ROOT / "app_pages" / f"{name}.py").read_bytes()).hexdigest()]
    assert not stale, f"screenshots older than their page's source: {', '.join(stale)}; {REFRESH}"
