"""``python -m namuweb``: the app's operations without a browser (headless
servers, GPU boxes, scripts).  Every user error ends in one line on stderr
and a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from namuweb import config, corpus
from namuweb.vocab_report import report


class UserError(Exception):
    """A problem with the command's input, printed as one line."""


def _source(ref: str):
    """A library corpus (id or name) or a UTF-8 text file."""
    path = Path(ref)
    if path.is_file():
        try:
            with path.open(encoding="utf-8") as f:
                while f.read(1 << 20):
                    pass
        except UnicodeDecodeError:
            raise UserError(f"{ref} is not UTF-8 text; upload it in the app (CP949 and UTF-16 are converted) "
                            "or convert it first") from None
        return path, path.stem
    if path.exists():
        raise UserError(f"{ref} is not a file")
    try:
        found = corpus.get_corpus(ref)
    except corpus.CorpusError as error:
        raise UserError(f"{ref!r} is neither a file nor a library corpus: {error}") from None
    return found, found.id


def cmd_vocab(args: argparse.Namespace) -> int:
    if args.min_count < 1:
        raise UserError("--min-count must be at least 1")
    source, stem = _source(args.corpus)
    result = report(source, jamo=not args.chars, min_count=args.min_count)
    if result.characters == 0:
        raise UserError(f"{args.corpus} is empty")
    figures = result.figures()
    out = Path(args.out) if args.out else config.data_home() / "exports" / f"{stem}.vocab.json"
    result.vocab.save(out)
    print(f"characters       {figures['characters']:,}")
    print(f"{'jamo tokens' if not args.chars else 'tokens':<16} {figures['jamo tokens']:,}")
    print(f"vocabulary size  {result.vocab.size:,}" + (f" (min count {args.min_count}, with <unk>)"
                                                      if result.vocab.unk else ""))
    print(f"Hangul share     {figures['Hangul share']:.1%}")
    print("coverage         " + ", ".join(f"{level:.1%} by {n} tokens" for level, n in result.tokens_to_cover().items()))
    print(f"vocabulary JSON  {out}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m namuweb", description="namuweb on the command line")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    vocab = commands.add_parser("vocab", help="figures and vocabulary JSON of a corpus",
                                description="Print a corpus's figures and write its vocabulary as JSON.")
    vocab.add_argument("corpus", help=f"a library corpus id or name (e.g. {corpus.BUILTIN_ID}) or a UTF-8 file")
    vocab.add_argument("--min-count", type=int, default=1, help="fold rarer tokens into <unk> (default 1)")
    vocab.add_argument("--chars", action="store_true", help="whole characters instead of jamo tokens")
    vocab.add_argument("--out", help="where to write the JSON (default: DATA/exports/NAME.vocab.json)")
    vocab.set_defaults(run=cmd_vocab)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (UserError, corpus.CorpusError, OSError) as error:
        print(f"namuweb {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"namuweb {args.command}: interrupted", file=sys.stderr)
        return 130
