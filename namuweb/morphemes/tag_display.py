"""Showing tagged text: coarse part-of-speech groups, their colours, chips.

Every engine has its own tagset (Okt's words, Sejong-style codes, Hannanum's
short codes); people reading chips want one small palette, so tags are folded
into a dozen groups here, apart from both the engines and the page.

The chips are HTML that the page hands to ``st.markdown(unsafe_allow_html=True)``,
and the tokens are the user's own text, so every token and tag goes through
:func:`escape`: each ASCII punctuation character (and line break) becomes a
numeric character reference.  That stops HTML (``<script>``, ``<img onerror=…>``,
attribute breakouts) and equally Markdown, links, autolinks and LaTeX between
the HTML tags, which Streamlit's Markdown renderer would otherwise still parse.
"""

from __future__ import annotations

import string
from collections import Counter

from namuweb.literal_text import unlinkable

_ESCAPED = {ord(c): f"&#{ord(c)};" for c in string.punctuation + "\n\r\t"}


def escape(text: str) -> str:
    """``text`` as inert HTML and Markdown: ASCII punctuation and line breaks as ``&#N;``,
    everything else (Hangul, letters, digits, spaces) as is. The text between the chips' tags is
    still Markdown, where a URL would autolink once the references are resolved: a URL token
    (Kiwi's W_URL) gets :func:`namuweb.literal_text.unlinkable`'s invisible joiner first."""
    return unlinkable(str(text)).translate(_ESCAPED)

GROUPS = {  # group: (colour, Korean name)
    "noun": ("#1f77b4", "체언"), "verb": ("#d62728", "동사"), "adjective": ("#ff7f0e", "형용사"),
    "adverb": ("#9467bd", "부사"), "determiner": ("#8c564b", "관형사"), "particle": ("#2ca02c", "조사"),
    "ending": ("#17becf", "어미"), "affix": ("#bcbd22", "접사"), "number": ("#7f7f7f", "수"),
    "foreign": ("#e377c2", "외국어"), "punctuation": ("#aaaaaa", "기호"), "exclamation": ("#843c39", "감탄사"),
    "other": ("#555555", "기타"),
}

_OKT = {"Noun": "noun", "Verb": "verb", "Adjective": "adjective", "Adverb": "adverb", "Josa": "particle",
        "Eomi": "ending", "PreEomi": "ending", "Punctuation": "punctuation", "Number": "number",
        "Alpha": "foreign", "Foreign": "foreign", "Determiner": "determiner", "Modifier": "determiner",
        "Conjunction": "adverb", "Exclamation": "exclamation", "Suffix": "affix", "VerbPrefix": "affix",
        "KoreanParticle": "other", "Hashtag": "other", "ScreenName": "other", "Email": "other", "URL": "other"}


def tag_group(tag: str) -> str:
    """The coarse group of a tag from any of the supported tagsets."""
    if tag in _OKT:
        return _OKT[tag]
    head = tag[:1]
    if tag.startswith(("NR", "SN")):
        return "number"
    if tag.startswith(("VA", "PA")):
        return "adjective"
    if tag.startswith(("MA",)):
        return "adverb"
    if tag.startswith(("MM", "MD")):
        return "determiner"
    if tag.startswith(("SL", "SH", "OL", "OH", "F")):
        return "foreign"
    return {"N": "noun", "V": "verb", "P": "verb", "I": "exclamation", "J": "particle", "E": "ending",
            "X": "affix", "S": "punctuation"}.get(head, "other")


# The map's groups: at most ten, each with one colour that never changes whatever the words shown (a
# colour scale over the tags seen would give a tag a new colour with every map).  The chips' thirteen
# groups fold into them: determiners, exclamations and affixes are rare on a map and go to "other".
MAP_GROUPS = {  # group: (colour, Korean name), in legend order
    "noun": ("#1f77b4", "체언"), "verb": ("#d62728", "동사"), "adjective": ("#ff7f0e", "형용사"),
    "adverb": ("#9467bd", "부사"), "particle": ("#2ca02c", "조사"), "ending": ("#17becf", "어미"),
    "symbol": ("#aaaaaa", "기호"), "number": ("#7f7f7f", "수"), "foreign": ("#e377c2", "외국어"),
    "other": ("#8c564b", "기타"),
}
_TO_MAP_GROUP = {"punctuation": "symbol", "determiner": "other", "exclamation": "other", "affix": "other"}
# Content words: what a person reading neighbours wants to see (nouns, verbs, adjectives, adverbs), less
# the closed classes inside those groups: bound nouns (것, 수, 바), pronouns, auxiliary verbs, the copula
# 이다/아니다 and conjunctions (그리고), which neighbour everything.
CONTENT_GROUPS = frozenset({"noun", "verb", "adjective", "adverb"})
FUNCTION_TAGS = frozenset({"NNB", "NP", "VX", "VCP", "VCN", "MAJ", "Conjunction"})


def map_group(tag: str) -> str:
    """The map's group (one of :data:`MAP_GROUPS`) of a tag from any supported tagset; an untagged word
    (imported vectors without tags) is "other"."""
    group = tag_group(tag) if tag else "other"
    return _TO_MAP_GROUP.get(group, group)


def map_group_label(group: str) -> str:
    """A map group as every legend names it, Korean first: "체언 (noun)"."""
    return f"{MAP_GROUPS[group][1]} ({group})"


def is_content(tag: str) -> bool:
    """Whether a tag, in either tagset (Okt's ``Noun``, Kiwi's ``NNG``), marks a content word."""
    return bool(tag) and tag not in FUNCTION_TAGS and tag_group(tag) in CONTENT_GROUPS


def chips_html(tokens: list[tuple[str, str]], highlight: set[int] | None = None) -> str:
    """Tokens as coloured chips (tag underneath); ``highlight`` marks positions to outline."""
    chips = []
    for i, (word, tag) in enumerate(tokens):
        colour = GROUPS[tag_group(tag)][0]
        outline = "outline:2px dashed #d32f2f;outline-offset:1px;" if highlight and i in highlight else ""
        chips.append(
            f'<span style="display:inline-block;margin:2px 3px;padding:2px 8px;border-radius:12px;'
            f'background:{colour}22;border:1px solid {colour};{outline}line-height:1.3;text-align:center">'
            f'<span style="font-size:1.05em">{escape(word)}</span><br>'
            f'<span style="font-size:0.7em;color:{colour}">{escape(tag)}</span></span>')
    return "".join(chips)


def legend_html(tokens: list[tuple[str, str]]) -> str:
    present = Counter(tag_group(tag) for _, tag in tokens)
    return " ".join(
        f'<span style="display:inline-block;margin:1px 6px 1px 0;font-size:0.8em">'
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:5px;background:{GROUPS[g][0]};'
        f'margin-right:4px"></span>{g} · {GROUPS[g][1]} ({present[g]})</span>'
        for g in GROUPS if present[g])


def disagreements(results: dict[str, list[tuple[str, str]]]) -> dict[str, set[int]]:
    """Per engine, the positions of tokens whose form not every engine produced —
    where the engines cut the text differently."""
    forms = [Counter(word for word, _ in tokens) for tokens in results.values()]
    shared = set.intersection(*(set(f) for f in forms)) if forms else set()
    return {name: {i for i, (word, _) in enumerate(tokens) if word not in shared}
            for name, tokens in results.items()}


def token_rows(tokens: list[tuple[str, str]], meanings: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    """A table of the tokens: each with its tag's meaning (``analyzers.tag_meanings``: Korean, English) and group."""
    return [{"token": word, "tag": tag, "meaning": meanings.get(tag, ("", ""))[0],
             "in English": meanings.get(tag, ("", ""))[1], "group": tag_group(tag)} for word, tag in tokens]
