"""namu-mark (Namuwiki's markup) -> the plain text a reader sees on the page.

A corpus is for training, so two things count: no visible words are lost and no markup is left.
Broken markup -- an opener never closed, a closer with nothing to close -- is dropped and the
text around it converts as if it were not there (a stray bracket is noise; a swallowed article
is a loss); ``Conversion.repairs`` counts those places so an import can name what it repaired.

Literals and escapes.  namu.wiki's syntax help ranks the triple-brace syntax first, before any inline
markup, and renders a literal as typed; the converter follows these rules (each has a test in
``tests/test_namumark_literals.py``):

1. ``{{{text}}}`` shows ``text`` as written: nothing inside is markup, not even a backslash, so
   ``{{{\\}}}`` shows one backslash, ``{{{\\\\}}}`` two, and ``{{{[[문서]]}}}`` the brackets.
2. Inside a literal ``{{{`` and ``}}}`` nest: an inner opener waits for its own closer and both are
   shown, so a literal can quote a whole block (``{{{{{{#red 글}}}}}}`` shows ``{{{#red 글}}}``).
3. A run of more than three ``}`` closes with its last three; the ones before are content.
4. Outside literals a backslash makes the next character plain text (``\\[[`` is no link,
   ``\\{{{`` opens nothing, ``\\\\`` is one backslash); escapes never reach into a literal.
5. What follows ``{{{`` says what the block is: ``#!wiki``, ``#!folding``, ``#!if``, a size or a colour
   hold markup; ``#!html``, ``#!syntax`` and the other ``#!`` blocks are opaque like a literal.  Any of
   them may open in the middle of a line.
6. A literal that spans lines is a code block (kept only with ``keep_code``).
7. An opener never closed is dropped and what follows it reads as if it were not there; a closer
   with nothing open is dropped.

The passes run in an order that lets each see clean input: comments, then ``{{{ }}}`` blocks and
backslash escapes in one scan (literal text and code are set aside in slots that no later pass touches),
then links, footnotes and macros, then the line-level constructs (headings, tables, quotes,
lists), then the inline emphasis pairs.  Every pass is a regular expression that cannot
backtrack more than a bounded distance, or a loop over an explicit stack capped at
``MAX_DEPTH``, so time is linear in the input and a hostile document cannot stall an import.
"""

from __future__ import annotations

import html
import operator
import re
from dataclasses import dataclass

MAX_DEPTH = 32  # deeper nesting is treated as text: keeps conversion linear on hostile input
MAX_RESCANS = 4  # open literals read again per document; beyond, an open literal's text stays as read


@dataclass
class TextOptions:
    """What of a page becomes text, beyond its prose."""

    keep_headings: bool = True  # "== 개요 ==" -> a line "개요", or dropped
    keep_tables: bool = True  # "||a||b||" -> "a b", or dropped
    keep_code: bool = False  # code blocks ({{{#!syntax}}}, multi-line {{{ }}}) kept as text, or dropped
    footnotes: str = "remove"  # "remove" | "inline" ("본문[* 각주]" -> "본문 (각주)")


@dataclass(frozen=True)
class Conversion:
    text: str
    repairs: int  # broken openers and closers dropped (0: the markup was whole)


def is_redirect(markup: str) -> bool:
    """A redirect page (``#redirect 대상`` / ``#넘겨주기 대상``) has no prose of its own."""
    return isinstance(markup, str) and _REDIRECT.match(markup) is not None


# Private-use characters mark what later passes must not touch; any in the input are removed first.
_NEWLINE = "\ue000"
_CODE_OPEN, _CODE_CLOSE, _TEXT_OPEN, _TEXT_CLOSE, _ESCAPED_OPEN, _ESCAPED_CLOSE = (chr(0xe001 + i) for i in range(6))
_PRIVATE = re.compile("[\ue000-\ue006]")
_CODE_SLOT = re.compile(f"{_CODE_OPEN}(\\d+){_CODE_CLOSE}")
_TEXT_SLOT = re.compile(f"[{_TEXT_OPEN}{_ESCAPED_OPEN}](\\d+)[{_TEXT_CLOSE}{_ESCAPED_CLOSE}]")
_ESCAPED_SLOT = re.compile(f"{_ESCAPED_OPEN}(\\d+){_ESCAPED_CLOSE}")

_REDIRECT = re.compile(r"\A\s*#(?:redirect|넘겨주기)[ \t]+\S", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^##[^\n]*(?:\n|\Z)", re.MULTILINE)
_ESCAPE = re.compile(r"\\([^\n])")
# The tokens of the brace scan: outside a literal an escape, an opener or a run of closers ("}}}}": a "}"
# of the content, then the closer); inside one only the braces, which nest.
_OUTER_TOKEN = re.compile(r"\\[^\n]|\{\{\{|\}\}\}+")
_LITERAL_TOKEN = re.compile(r"\{\{\{|\}\}\}+")
_COLOR = r"\#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3}|[A-Za-z]{1,30})"
# What follows "{{{" says what the block is; every repetition is bounded so matching stays linear.
# A size or colour needs a space after it: "{{{#1c1d1f}}}" is the literal text "#1c1d1f".
_BLOCK_HEADER = re.compile(
    r"(?P<html>\#!html)"
    r"|(?P<wiki>\#!wiki)(?:[ \t]+[\w-]{1,40}[ \t]*=[ \t]*(?:\"[^\"\n{}]{0,2000}\"|'[^'\n{}]{0,2000}'))*[ \t]*\n?"
    r"|(?P<folding>\#!folding)[ \t]*(?P<title>[^\n]{0,2000})\n?"
    r"|(?P<syntax>\#!syntax)(?:[ \t]+[\w+#.-]{1,40})?[ \t]*\n?"  # the language: one word
    r"|(?P<condition>\#!if)(?:[ \t][^\n]{0,2000})?\n?"
    r"|(?P<hidden>\#![\w-]{0,40}[ \t]*\n?)"  # its name only: a style sheet may follow on the same line
    rf"|(?P<style>(?:[+-][1-5]|{_COLOR}(?:,{_COLOR})?))(?:[ \t]+|(?=\n))",
    re.IGNORECASE)
_LITERAL_BLOCKS = ("html", "syntax", "hidden", "literal")  # no markup inside: braces only nest
# What goes with an opaque block's opener when it never closes: "#!syntax" and its language, or "#!name".
_DROPPED_HEADER = re.compile(r"\#!(?i:syntax(?:[ \t]+[\w+#.-]{1,40})?|[\w-]{0,40})[ \t]?")
# Fast paths, applied first, for the innermost and most common links (same output as the stack gives them):
# no brackets or anchor inside.
_HIDDEN = r"(?![\s:])(?!(?i:파일|file|이미지|image|분류|category):)"
_SIMPLE_LABELED_LINK = re.compile(rf"\[\[{_HIDDEN}[^\[\]|\n]*\|([^\[\]\s](?:[^\[\]\n]*[^\[\]\s])?)\]\]")
_SIMPLE_LINK = re.compile(rf"\[\[{_HIDDEN}([^\[\]|\n#]*[^\[\]|\s#])\]\]")
_GROUP_1 = operator.methodcaller("group", 1)  # a C-level callback: a "\1" template is expanded in Python
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^<>]{0,2000}>")
_HTML_BLOCK_TAG = re.compile(r"<(?:br|/?(?:div|p|li|ul|ol|tr|table|h[1-6]|blockquote|pre))\b[^<>]{0,2000}>",
                             re.IGNORECASE)
_INLINE = re.compile(
    r"(\[\[|\]\]|\[\*"
    r"|\[(?:목차|tableofcontents|각주|footnote|br|clearfix|date|datetime|pagecount)\]"
    r"|\[\w{1,40}\([^\[\]\n]{0,1000}\)\]"
    r"|\[|\])", re.IGNORECASE)
_HIDDEN_LINK_PREFIXES = ("파일:", "file:", "이미지:", "image:", "분류:", "category:")
# Line-level constructs, handled in one pass over the lines: headings ("== 개요 ==", spaces required),
# rules (4-9 dashes), table rows, quotes and list markers.
# Cell attributes: "<:>", "<-2>", "<#fff>", "<bgcolor=#fff>", "<table align=center>", "<rowclass=a b>".
_CELL_ATTRIBUTES = re.compile(
    r"\A(?:[ \t]*<(?:[^<>\s]{1,80}|(?:table[ \t]+)?[\w-]{1,40}[ \t]*=[^<>\n]{0,200})>)+", re.IGNORECASE)
_CELL_LIST_MARKER = re.compile(r"\A(?:\*|\d{1,9}\.|[aAiI]\.)(?:#\d{1,9})?[ \t]+")
_INDENTED_LIST_MARKER = re.compile(r"(?:\*|\d{1,9}\.|[aAiI]\.)(?:#\d{1,9})?")  # " * 별", " 1. 하나", " a.#3 가"
_LIST_MARKER = re.compile(r"\*[ \t]|(?:\d{1,9}|[aAiI])\.#\d{1,9}")  # unindented: "* 별", "1.#11 시작"
_QUOTES = ("'''", "''")  # bold and italics: removed wherever they are
# Underline, strike-through, superscript, subscript: removed in pairs on one line, so "---" or a
# lone "^^" stays the text it is.  A failed match scans to the line's end at most once per line.
_PAIRS = tuple((marker, re.compile(f"{re.escape(marker)}([^\\n]*?){re.escape(marker)}"))
               for marker in ("__", "~~", "--", "^^", ",,"))
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACE_RUNS = re.compile(r"[ \t]{2,}")
_LINE_MARKUP = frozenset("=-|> \t*0123456789aAiI")  # a line starting otherwise is prose (unless it ends in "||")


class _Slots:
    """Text set aside from the markup passes: literals, escaped characters and formulas come back
    before the whitespace is tidied, code blocks after it (their indentation is theirs)."""

    def __init__(self):
        self.texts: list[str] = []

    def put(self, text: str) -> str:
        self.texts.append(text)
        return f"{_TEXT_OPEN}{len(self.texts) - 1}{_TEXT_CLOSE}"

    def put_code(self, text: str) -> str:
        self.texts.append(text)
        return f"{_CODE_OPEN}{len(self.texts) - 1}{_CODE_CLOSE}"

    def put_escaped(self, character: str) -> str:
        self.texts.append(character)
        return f"{_ESCAPED_OPEN}{len(self.texts) - 1}{_ESCAPED_CLOSE}"

    def escape(self, match: re.Match) -> str:
        return self.put_escaped(match.group(1))

    def unescaped(self, text: str) -> str:
        """A formula's backslashes are its own: put the escapes back as written."""
        return _ESCAPED_SLOT.sub(lambda m: "\\" + self.texts[int(m.group(1))], text) if _ESCAPED_OPEN in text else text

    def restore_text(self, text: str) -> str:
        return _TEXT_SLOT.sub(lambda m: self.texts[int(m.group(1))], text)

    def restore_code(self, text: str) -> str:
        return _CODE_SLOT.sub(lambda m: self.texts[int(m.group(1))], text)


class _Converter:
    """One document's conversion: its options, its slots and the repairs it made."""

    def __init__(self, options: TextOptions):
        self.options = options
        self.slots = _Slots()
        self.repairs = 0
        self.rescans = 0  # open literals read again (bounded by MAX_RESCANS)

    # --- {{{ }}} ------------------------------------------------------------------

    def braces(self, text: str) -> str:
        """Resolve ``{{{ }}}`` blocks and backslash escapes in one left-to-right scan.

        Outside a literal a backslash escapes the next character (``\\{{{`` is the text "{{{"); inside a
        literal (plain ``{{{ }}}``, ``#!html``, ``#!syntax`` and the hidden blocks) nothing is markup, a
        backslash included, and ``{{{``/``}}}`` only count so that the literal ends at its own closer.
        Which of the two holds depends on the pairing so far, so the scan reads a token at a time with
        the pattern of the place it is in.  A closer with nothing open is dropped; an opener left open at
        the end is dropped and what followed it is read again as if it were not there (see ``reopen``)."""
        # a frame: [kind, pieces, extra, braces open inside a literal, openers too deep to count, where its header starts]
        stack: list[list] = [["root", [], "", 0, 0, 0]]
        position, length = 0, len(text)
        while True:
            top = stack[-1]
            literal = top[0] in _LITERAL_BLOCKS
            token = (_LITERAL_TOKEN if literal else _OUTER_TOKEN).search(text, position)
            if token is None:
                if position < length:
                    top[1].append(text[position:])
                if len(stack) == 1:
                    break
                position = self.reopen(stack, text)
                continue
            start, position = token.span()
            if start > token.pos:
                top[1].append(text[token.pos:start])
            part = token.group()
            if part[0] == "\\":  # outside literals only: the escaped character is text no later pass reads
                top[1].append(self.slots.put_escaped(part[1]))
            elif part == "{{{":
                if literal:
                    top[3] += 1
                    top[1].append(part)
                elif len(stack) > MAX_DEPTH:  # too deep: the pair is dropped, its text stays
                    top[4] += 1
                else:
                    position = self.open_block(stack, text, position)
            else:  # a run of "}": beyond a multiple of three, the first are content ("}}}}": "}" then a closer)
                if len(part) % 3:
                    top[1].append("}" * (len(part) % 3))
                for _ in range(len(part) // 3):
                    top = stack[-1]
                    if top[0] in _LITERAL_BLOCKS and top[3]:
                        top[3] -= 1
                        top[1].append("}}}")
                    elif top[4]:
                        top[4] -= 1
                    elif len(stack) == 1:  # closes nothing
                        self.repairs += 1
                    else:
                        stack.pop()
                        stack[-1][1].append(self.close_block(top))
        return "".join(stack[0][1])

    def open_block(self, stack: list, text: str, position: int) -> int:
        """Push the block that ``{{{`` at ``position`` opens; what follows it says what it is."""
        header = _BLOCK_HEADER.match(text, position)
        kind, extra, start = "literal", "", position
        if header is not None:
            kind = header.lastgroup if header.lastgroup != "title" else "folding"
            position = header.end()
            if header.group("folding"):
                title = header.group("title")
                if title.count("}}}") > title.count("{{{"):  # "{{{#!folding 제목}}}": the title ends the block
                    position = header.start("title")
                elif title.strip():  # a fold's title is shown as written, markup and all
                    extra = self.slots.put(_ESCAPE.sub(_GROUP_1, title).strip())
        stack.append([kind, [], extra, 0, 0, start])
        return position

    def reopen(self, stack: list, text: str) -> int:
        """The outermost block still open at the end never closed: drop its opener (and header; a fold
        keeps its title) and read on from there as if it were not there.  A block that is no literal
        was read as markup already, so its pieces move to its parent as they are; an open literal was
        read as opaque text, so the scan goes back to just after its opener.  Going back happens at
        most ``MAX_RESCANS`` times a document, which keeps hostile input linear; after that an open
        literal's text is kept as it was read."""
        self.repairs += 1
        frame = stack.pop(1)
        kind, pieces, extra, _, _, start = frame
        if kind in _LITERAL_BLOCKS and self.rescans < MAX_RESCANS:  # a literal holds no blocks: it was the top
            self.rescans += 1
            header = _DROPPED_HEADER.match(text, start)  # the block's name only: the words after it are prose
            return header.end() if header is not None else start
        parent = stack[0][1]
        if kind == "folding" and extra:
            parent.append(f"\n{extra}\n")
        parent.extend(pieces)  # the blocks open inside it now sit in the root, and close in turn
        return len(text)

    def close_block(self, frame: list) -> str:
        kind, pieces, extra = frame[:3]
        content = "".join(pieces)
        if kind == "literal":
            if "\n" not in content:  # inline "{{{text}}}": part of the sentence
                return self.slots.put(content)
            return self.code(content)
        if kind == "syntax":
            return self.code(content)
        if kind == "html":
            return self.slots.put(_html_text(content))
        if kind == "hidden":  # "#!style" and the like: nothing a reader sees
            return ""
        if kind == "folding":
            return f"\n{extra}\n{content}\n" if extra else content
        return content  # wiki, condition, style

    def code(self, content: str) -> str:
        return self.slots.put_code(content.strip("\n")) if self.options.keep_code else ""

    # --- [[ ]], [* ], [macro] -------------------------------------------------------

    def brackets(self, text: str) -> str:
        """Resolve links, footnotes and macros with a stack, so ``[* [[링크]] 설명]`` nests correctly."""
        parts = _INLINE.split(text)
        stack: list[tuple[str, list[str]]] = [("root", [])]
        for i, part in enumerate(parts):
            if i % 2 == 0:
                if part:
                    stack[-1][1].append(part)
                continue
            if part in ("[[", "[*", "["):
                if len(stack) > MAX_DEPTH:
                    stack[-1][1].append(part)
                else:
                    stack.append((part, []))
            elif part == "]]":
                kind = stack[-1][0]
                if kind == "[[":
                    _, pieces = stack.pop()
                    stack[-1][1].append(_link_text("".join(pieces)))
                elif kind == "root":  # closes nothing
                    self.repairs += 1
                else:  # "]]" here is "]" closing a "[" or "[*", then "]" for whatever encloses it
                    self.close_single(stack)
                    if stack[-1][0] in ("[", "[*"):
                        self.close_single(stack)
                    else:
                        stack[-1][1].append("]")
            elif part == "]":
                if stack[-1][0] in ("[", "[*"):
                    self.close_single(stack)
                else:
                    stack[-1][1].append(part)
            else:
                stack[-1][1].append(self.macro(part))
        while len(stack) > 1:  # unclosed: a "[" was prose; a "[[" or "[*" opener is dropped
            kind, pieces = stack.pop()
            if kind == "[":
                stack[-1][1].append(kind)
            else:
                self.repairs += 1
            stack[-1][1].extend(pieces)
        return "".join(stack[0][1])

    def close_single(self, stack: list) -> None:
        kind, pieces = stack.pop()
        content = "".join(pieces)
        parent = stack[-1][1]
        if kind == "[":
            parent.append(f"[{content}]")
            return
        # footnote "[* 내용]" or "[*라벨 내용]"; "[*라벨]" alone only points at another footnote
        body = content if not content or content[0].isspace() else content.partition(" ")[2]
        body = body.strip()
        if self.options.footnotes == "inline" and body:
            before = parent[-1] if parent else ""
            parent.append(f"({body})" if not before or before[-1].isspace() else f" ({body})")

    def macro(self, part: str) -> str:
        """``[br]`` breaks the line, ``[ruby(글,ruby=주석)]`` shows its text, ``[math(…)]`` its formula;
        the rest (table of contents, includes, dates, videos …) show no prose."""
        name, _, arguments = part[1:-1].partition("(")
        name = name.lower()
        if name == "br":
            return _NEWLINE
        if name == "ruby":
            return arguments[:-1].partition(",")[0].strip()
        if name == "math":
            return self.slots.put(self.slots.unescaped(arguments[:-1]).strip())
        return ""


def _link_text(content: str) -> str:
    target, bar, label = content.partition("|")
    target = target.strip()
    if target.lower().startswith(_HIDDEN_LINK_PREFIXES):
        return ""
    label = label.strip()
    if bar and label:
        return label
    if not target and not bar:  # "[[]]" links nowhere: the reader sees it as typed
        return "[[]]"
    if target.startswith(":"):  # [[:파일:x.png]] is a plain link to the file's page
        target = target[1:]
    if "#" in target and "://" not in target:  # [[현재#s-2]]: the reader sees "현재"; [[#s-2]] itself
        target = target.rpartition("#")[0].rstrip() or target
    return target


def _html_text(markup: str) -> str:
    """What an ``{{{#!html …}}}`` block shows: its text, tags gone (a block element breaks the line), entities decoded."""
    text = _HTML_TAG.sub("", _HTML_BLOCK_TAG.sub("\n", markup)) if "<" in markup else markup
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\u200b", "")


def _heading_title(line: str) -> str | None:
    """"== 개요 ==" and folded "==# 개요 #==" -> "개요"; None when the line is no heading."""
    line = line.rstrip()
    level = len(line) - len(line.lstrip("="))
    if not 1 <= level <= 6 or len(line) < 2 * level + 1 or line[-level:] != "=" * level or line[-level - 1] == "=":
        return None
    inner = line[level:-level]
    if inner.startswith("#") and inner.endswith("#") and len(inner) >= 2:
        inner = inner[1:-1]
    if len(inner) < 3 or not inner[0].isspace() or not inner[-1].isspace():  # "=제목=" is text
        return None
    return inner.strip() or None


def _lines(text: str, options: TextOptions) -> str:
    """Headings, rules, table rows, quotes and list markers, in one pass over the lines."""
    out = []
    for line in text.split("\n"):
        if not line or (line[0] not in _LINE_MARKUP and not line.endswith("||")):
            out.append(line)
            continue
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        head = stripped[0]
        if line[0] == "=":
            title = _heading_title(line)
            if title is not None:
                if options.keep_headings:
                    out.append(title)
                continue
        elif head == "-" and 4 <= len(stripped) <= 9 and stripped.count("-") == len(stripped):
            out.append("")
            continue
        if "||" in stripped and (stripped.startswith("||") or stripped.endswith("||")):
            if options.keep_tables:
                out.append(_table_row(stripped))
            continue
        if head == ">":  # a quote, which may hold a list: "> * 항목"
            line = stripped.lstrip(">")
            stripped = line.strip()
            head = stripped[:1]
        if line[:1] in " \t":
            marker = _INDENTED_LIST_MARKER.match(stripped)
            if marker is not None:
                stripped = stripped[marker.end():]
        elif head and head in "*0123456789aAiI":
            marker = _LIST_MARKER.match(stripped)
            if marker is not None:
                stripped = stripped[marker.end():]
        out.append(stripped)
    return "\n".join(out)


def _table_row(line: str) -> str:
    """"||<:> a ||<-2> b ||" -> "a b"; a caption "|캡션|| a ||" comes first."""
    caption = ""
    if line.startswith("|") and not line.startswith("||"):
        caption, _, line = line[1:].partition("|")
        line = line.removeprefix("|")
    cells = line.removeprefix("||").removesuffix("||").split("||")
    if "<" in line:
        cells = [_CELL_ATTRIBUTES.sub("", cell) for cell in cells]
    words = [caption.strip()] if caption.strip() else []
    for cell in cells:
        cell = cell.strip()
        if cell[:1] == ">":  # a quote inside a cell
            cell = cell.lstrip(">").lstrip()
        if cell:
            words.append(_CELL_LIST_MARKER.sub("", cell) if cell[0] in "*0123456789aAiI" else cell)
    return " ".join(words)


def convert(markup: str, options: TextOptions = TextOptions()) -> Conversion:
    """namu-mark -> plain text and the number of broken openers/closers it dropped."""
    if not isinstance(markup, str) or not markup:
        return Conversion("", 0)
    job = _Converter(options)
    text = _PRIVATE.sub("", markup.replace("\r\n", "\n").replace("\r", "\n"))
    if text.startswith("##") or "\n##" in text:
        text = _COMMENT_LINE.sub("", text)
    if "{{{" in text or "}}}" in text:
        text = job.braces(text)
    elif "\\" in text:
        text = _ESCAPE.sub(job.slots.escape, text)
    text = _BR_TAG.sub(_NEWLINE, text)
    if "[[" in text:
        text = _SIMPLE_LINK.sub(_GROUP_1, _SIMPLE_LABELED_LINK.sub(_GROUP_1, text))
    if "[" in text or "]" in text:
        text = job.brackets(text)
    text = _lines(text, options)
    for marker in _QUOTES:
        text = text.replace(marker, "")
    for marker, pair in _PAIRS:
        if marker in text:
            text = pair.sub(_GROUP_1, text)
    if job.slots.texts:
        text = job.slots.restore_text(text)
    text = text.replace(_NEWLINE, "\n")
    if "  " in text or "\t" in text:  # what removed markup leaves behind: "코드 {{{#!style x}}} 끝"
        text = _SPACE_RUNS.sub(" ", text)
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    text = text.strip("\n")
    if _CODE_OPEN in text:
        text = job.slots.restore_code(text)
    return Conversion(text, job.repairs)


# --- the word-count oracle ----------------------------------------------------------
# An import runs a second, much simpler reading of each page beside the converter: it finds only the
# constructs whose words a reader never sees and weighs everything else.  It shares no code with the
# passes above, so when one construct derails the converter (as a literal of one backslash once
# shifted the pairing of a whole page) the two part, and the import can convert the page again a
# section at a time and, if it is still short, name it.
#
# What is weighed is the text outside ASCII -- Korean words, in a Korean wiki -- because all of
# namu-mark is ASCII: a page's weight is its UTF-8 length minus its length in characters, which C code
# computes at memory speed, so the oracle costs a small part of a conversion.  A page with no such
# text weighs nothing and is not checked.

MIN_KEPT_SHARE = 0.8  # a conversion keeping less of the oracle's weight than this is suspect
MIN_CHECKED_WEIGHT = 60  # below this the share is noise: on a page of a few words one dropped label tips it

# Every hidden construct starts with "[" or "{", so the scan jumps between those characters.
_ORACLE_HIDDEN = re.compile(
    r"\[(?:"
    r"\[(?:(?i:파일|file|이미지|image|분류|category):[^\[\]]*+\]\]"  # a file or category link shows no words
    r"|[^\[\]|\n]*+\|)"  # a link's target, where a label follows
    r"|(?!\*)[^\W\d_][\w ]{0,40}(?:\([^\[\]\n()]*+\))?\])"  # a macro: [목차], [include(…)], [br]
    r"|\{\{\{(?:"
    r"\#!(?i:syntax|style)(?:[^}]++|\}(?!\}\}))*+(?:\}\}\}|\Z)"  # code and style sheets
    r"|(?!\#[^#]|[+-])[^\n{}]*+\n(?:[^}]++|\}(?!\}\}))*+(?:\}\}\}|\Z))")  # a literal over lines is code
_ORACLE_FOOTNOTE = re.compile(r"\[\*[^\[\]]*+(?:\[\[[^\[\]]*+\]\][^\[\]]*+)*+\]")  # shown when footnotes are inline
_ORACLE_HEADING = re.compile(r"^=[^\n]*+", re.MULTILINE)
_ORACLE_TABLE_ROW = re.compile(r"^\|[^\n]*+", re.MULTILINE)


def text_weight(text: str) -> int:
    """The text's characters outside ASCII, weighted by their UTF-8 length beyond one byte: the
    converter's side of the comparison, and (of the raw markup) an upper bound of the oracle's."""
    return len(text.encode("utf-8", "surrogatepass")) - len(text)


def oracle_weight(markup: str, options: TextOptions = TextOptions()) -> int:
    """The weight of what a reader of the page sees, by the oracle: the whole page's weight less that
    of the hidden constructs (each found by one linear scan)."""
    if not isinstance(markup, str) or not markup:
        return 0
    hidden = _ORACLE_HIDDEN.findall(markup) if "[" in markup or "{{{" in markup else []
    if options.footnotes != "inline" and "[*" in markup:
        hidden += _ORACLE_FOOTNOTE.findall(markup)
    if "##" in markup:
        hidden += _COMMENT_LINE.findall(markup)
    if not options.keep_headings:
        hidden += _ORACLE_HEADING.findall(markup)
    if not options.keep_tables:
        hidden += _ORACLE_TABLE_ROW.findall(markup)
    return text_weight(markup) - text_weight("".join(hidden))


_SECTION_START = re.compile(r"^(?=={1,6}[ #])", re.MULTILINE)


def convert_by_sections(markup: str, options: TextOptions = TextOptions()) -> Conversion:
    """Each section (split before every heading line) converted alone, so a construct that derails the
    converter costs at most its own section: the second try for a page the oracle finds short."""
    parts = [convert(section, options) for section in _SECTION_START.split(markup) if section]
    return Conversion("\n".join(part.text for part in parts if part.text), sum(part.repairs for part in parts))


def keeps_enough(text: str, expected_weight: int) -> bool:
    """Whether converted ``text`` keeps at least ``MIN_KEPT_SHARE`` of the weight the oracle found
    (a page too small for the share to mean anything always does)."""
    return expected_weight < MIN_CHECKED_WEIGHT or text_weight(text) >= MIN_KEPT_SHARE * expected_weight
