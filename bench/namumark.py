"""The namu-mark converter on a collection of cases: how many lose visible text, how many leave markup.

    python bench/namumark.py --collection ../shared/namumark-public-parsers

The collection (ShapeLayer/namumark, jonghwanhyeon/python-namumark and Danue1/namumark tests, with the text
a reader of each page sees; its README says how that was derived) lives in ``../shared/``, beside the project:
it is other projects' test data, so it is read from there and never copied into the project's tests, which
use cases written for namuweb.  Every case is converted; the script prints how many lose visible text or
leave markup behind (goal: none) and names them, and exits 1 if any does.  It also prints how many cases
the import's oracle (``namumark.oracle_weight``) would find short and convert again section by section.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKUP_CHARACTERS = set("[]{}|'=~^,_*#\\<>-!")
DEFAULT_CASES = ROOT.parent / "shared" / "namumark-public-parsers"


def lost_and_left(visible: str, text: str, code: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """What of ``visible`` is missing from ``text``, and what ``text`` adds that holds markup characters,
    whitespace aside (a reader cannot see it).  Code a renderer shows as a block may be kept or left out:
    text found in ``code`` is not leftover markup."""
    want, got = "".join(visible.split()), "".join(text.split())
    blocks = ["".join(block.split()) for block in code]
    lost, left = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, want, got, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            lost.append(want[i1:i2])
        added = got[j1:j2]
        if tag in ("insert", "replace") and set(added) & MARKUP_CHARACTERS and not any(added in b for b in blocks):
            left.append(added)
    return lost, left


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", type=Path, default=DEFAULT_CASES,
                        help="the folder of the collection's JSON files (markup, visible, code per case)")
    args = parser.parse_args()
    from namuweb.corpora.namumark import convert, keeps_enough, oracle_weight  # what the dump import runs
    files = sorted(args.collection.glob("*.json"))
    if not files:
        sys.exit(f"no cases in {args.collection}: the collection is in ../shared/namumark-public-parsers beside the project")
    cases = [case for path in files for case in json.loads(path.read_text(encoding="utf-8"))]
    losing, leaving, short = [], [], 0
    for case in cases:
        text = convert(case["markup"]).text
        lost, left = lost_and_left(case["visible"], text, tuple(case["code"]))
        if lost:
            losing.append((case["source"], lost))
        if left:
            leaving.append((case["source"], left))
        short += not keeps_enough(text, oracle_weight(case["markup"]))
    sources = sorted({case["source"].split(" ")[0] for case in cases})
    print(f"collection {args.collection.name} ({', '.join(sources)}): {len(cases)} cases")
    print(f"lost text:        {len(losing)} cases lose visible text")
    print(f"leftover markup:  {len(leaving)} cases leave markup behind")
    print(f"oracle:           {short} cases the import's oracle finds short (converted again by sections)")
    for source, what in losing + leaving:
        print(f"  {source}: {what}")
    return 1 if losing or leaving else 0


if __name__ == "__main__":
    sys.exit(main())
