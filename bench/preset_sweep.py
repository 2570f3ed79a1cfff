"""Choosing a preset's settings on a larger text: several settings at one time budget, one after another,
each scored on the held-out text by the time-to-quality bench's rule (its ``--large`` split and scorer).

    python bench/preset_sweep.py --text ../shared/corpora/koconovel.txt --budget 25 \
        --base demo "learning_rate=0.005" "learning_rate=0.01" "units=256,learning_rate=0.01"

Each setting is ``name=value,…`` over the base preset (``--preset custom`` with the base's settings and these
changes); the table is sorted best first, with each row's bits per character against the first row's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time_to_quality as bench  # noqa: E402

FLAGS = {"embedding": "--embedding", "units": "--units", "layers": "--layers", "dropout": "--dropout",
         "batch": "--batch", "seq_len": "--seq-len", "learning_rate": "--learning-rate", "schedule": "--schedule"}


def arguments(base: str, changes: str, budget: float) -> list[str]:
    from namuweb.language_model.settings import preset_settings
    settings = {k: v for k, v in preset_settings(base).items() if k in FLAGS and v is not None}
    for change in filter(None, changes.split(",")):
        name, _, value = change.partition("=")
        settings[name.strip()] = value.strip()
    return [item for name, value in settings.items() for item in (FLAGS[name], str(value))] + \
        ["--max-seconds", f"{budget:g}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--budget", type=float, default=25)
    parser.add_argument("--base", default="demo")
    parser.add_argument("settings", nargs="+")
    args = parser.parse_args()
    train_text, held_text = bench.large_split(Path(args.text))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        train_file, held_out = bench.written(work, train_text, held_text)
        models = {}
        for number, changes in enumerate(args.settings):
            models[changes or args.base] = bench.run_namuweb_as_user(
                train_file, "custom", work / "home", work / f"run-{number}", arguments(args.base, changes, args.budget))
        scores = bench.score(held_out, models, work, drop_unknown=True)
    first = scores[args.settings[0] or args.base]["bits_per_char"]
    print(f"{Path(args.text).name}, {args.budget:g} s of training over the {args.base} preset's settings")
    print(f"  {'settings':<44}{'steps':>7} {'wall s':>7} {'bits/char':>10} {'vs first':>9}")
    for name in sorted(models, key=lambda n: scores[n]["bits_per_char"]):
        bits = scores[name]["bits_per_char"]
        print(f"  {name:<44}{models[name]['steps']:>7,} {models[name]['wall']:>7.1f} {bits:>10.3f} {bits / first:>8.3f}x")


if __name__ == "__main__":
    main()
