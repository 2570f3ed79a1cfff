"""The README shows a current screenshot of every page of the navigation, and its bench block is
what the bench scripts print; its layout names every module."""

import ast
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
    assert len(pages) == 8
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


# --- the bench block ----------------------------------------------------------------------------------

NUMBER = r" *[-+]?(?:\d[\d,]*)?\.?\d+(?:e[-+]?\d+)?%? *"
ANYTHING = ".*?"
COMMAND = re.compile(r"^\$ (?:\w+=\S+ )*\.venv/bin/python (bench/\w+\.py)\b")


def _field(node: ast.FormattedValue) -> str:
    spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant)) if node.format_spec else ""
    return NUMBER if spec and (spec[-1] in "bdeEfFgGnoxX%" or "," in spec) else ANYTHING


def _pieces(node: ast.expr) -> list[tuple[str, str]]:
    """("text", literal) and ("regex", pattern) pieces of the string an expression builds."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [("text", node.value)]
    if isinstance(node, ast.JoinedStr):
        return [piece for value in node.values for piece in _pieces(value)]
    if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Constant):  # f"{'path':<10}"
        return [("regex", " *"), ("text", str(node.value.value)), ("regex", " *")]
    if isinstance(node, ast.FormattedValue):
        return [("regex", _field(node))]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _pieces(node.left) + _pieces(node.right)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant) and len(node.args) == 1
            and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp))):  # ", ".join(f"..." for ...)
        item = _regex(_pieces(node.args[0].elt))
        return [("regex", f"(?:{item}(?:{re.escape(node.func.value.value)}{item})*)?")]
    return [("regex", ANYTHING)]


def _regex(pieces: list[tuple[str, str]]) -> str:
    return "".join(re.sub(r"\\ (?:\\ )*", " +", re.escape(text)) if kind == "text" else text for kind, text in pieces)


def printed_line_patterns(script: Path) -> list[re.Pattern]:
    """One pattern per line that a ``print(...)`` of ``script`` can write (see the test's docstring)."""
    patterns = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print" and node.args:
            line: list[tuple[str, str]] = []
            lines = [line]
            for kind, text in _pieces(node.args[0]):
                if kind == "regex":
                    line.append((kind, text))
                    continue
                first, *rest = text.split("\n")
                line.append((kind, first))
                for part in rest:
                    line = [(kind, part)]
                    lines.append(line)
            for pieces in lines:  # a line of fields only (``print(f"{x}")``) would vouch for any text
                if any(text.strip() if kind == "text" else NUMBER in text for kind, text in pieces):
                    patterns.append(re.compile(_regex(pieces)))
    return patterns


def bench_block() -> dict[str, list[str]]:
    """``bench/NAME.py`` -> the output lines under its ``$ .venv/bin/python bench/NAME.py`` command."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Tests and benchmarks", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    outputs: dict[str, list[str]] = {}
    current = None
    for line in block.splitlines():
        command = COMMAND.match(line)
        if command:
            current = outputs.setdefault(command.group(1), [])
        elif line.strip():
            assert current is not None, f"output before any bench command: {line!r}"
            current.append(line.rstrip())
    return outputs


def test_the_readmes_bench_output_is_what_the_scripts_print():
    """Every output line under ``$ .venv/bin/python bench/NAME.py`` in the README's console block must be
    one that a ``print`` in bench/NAME.py can produce.  Each print's argument is read with ``ast``:
    its literal text must appear verbatim (a run of spaces matches any run of spaces); a replacement
    field with a numeric format (``:,.0f``, ``:+.1%``, ``:5.2f`` ...) matches one number with its
    padding, a constant field (``{'path':<10}``) its text with its padding; any other field or expression matches any text; ``sep.join(f"..." for ...)`` matches
    that item repeated; a ``\\n`` in the text starts the next line.  The whole line must match, so a
    suffix or a row that no script prints, like ``(okt 1,459 vs 1,435 sentences/s)`` after the
    overhead line, fails, and so does a label that a script no longer prints."""
    outputs = bench_block()
    assert len(outputs) >= 6, sorted(outputs)
    for script, lines in outputs.items():
        path = ROOT / script
        assert path.is_file(), f"the README runs {script}, which does not exist"
        assert lines, f"the README shows no output for {script}"
        patterns = printed_line_patterns(path)
        unprinted = [line for line in lines if not any(p.fullmatch(line) for p in patterns)]
        assert not unprinted, f"{script} prints no such line (paste its real output): {unprinted}"


def layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Layout")
    return text[text.index("```", start) + 3:text.index("```", text.index("```", start) + 3)]


def test_the_readmes_layout_names_every_module_and_only_modules_that_exist():
    layout = layout_block()
    named = set(re.findall(r"(?:^|\s)([a-z_]+\.py)\b", layout))
    modules = {path.name for path in (ROOT / "namuweb").rglob("*.py") if path.name != "__init__.py"}
    packages = {path.parent.name for path in (ROOT / "namuweb").glob("*/__init__.py")}
    named_packages = set(re.findall(r"^\s+([a-z_]+)/", layout, flags=re.M))
    assert packages <= named_packages, f"packages missing from the README's layout: {sorted(packages - named_packages)}"
    elsewhere = {path.name for path in [*ROOT.glob("*.py"), *(ROOT / "app_pages").glob("_*.py")]}
    assert modules <= named, f"modules missing from the README's layout: {sorted(modules - named)}"
    assert named <= modules | elsewhere, f"the layout names files that do not exist: {sorted(named - modules - elsewhere)}"
    folders = set(re.findall(r"^([a-z_]+)/", layout, flags=re.M))
    assert folders and all((ROOT / folder).is_dir() for folder in folders)


def test_every_test_the_robustness_doc_cites_exists():
    """docs/robustness.md proves each case by naming a test: a renamed or moved test must not leave it citing nothing."""
    doc = (ROOT / "docs" / "robustness.md").read_text()
    cited = set(re.findall(r"`((?:e2e/)?test_\w+\.py)::(\w+)`", doc))
    assert len(cited) > 50
    missing = []
    for filename, name in sorted(cited):
        tree = ast.parse((ROOT / "tests" / filename).read_text())
        if name not in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}:
            missing.append(f"{filename}::{name}")
    assert not missing, missing
