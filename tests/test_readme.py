"""The README shows a current screenshot of every page of the navigation."""

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
