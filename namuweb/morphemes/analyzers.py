"""One way to call every Korean morphological analyzer, and the tutorial's tagging rules.

The tutorial tags with ``Twitter().pos`` (now Okt) and writes ``word/Tag``
tokens; the app lets the user compare that with the other konlpy analyzers
and with Kiwi, so :func:`pos` hides their different constructors, option
names and result types behind one call.

Engines are expensive (the JVM takes seconds to start, Kiwi loads a model),
so each is created once per process, on first use, under a lock: Streamlit
runs every browser session in its own thread and two first clicks must not
start two JVMs.  :func:`engines` is what a page can call on every rerun: it
only looks for files and never starts anything.

JPype attaches Python threads to the JVM on their first Java call; we attach
them ourselves *as daemons* (what the automatic attach does too) because a
thread attached as a user thread keeps the JVM -- and so the server process --
alive at exit.  The analyzers that keep per-call state in Java (Kkma,
Komoran, Hannanum) or C (MeCab) are called under a per-engine lock; Okt and
Kiwi are stateless per call and run concurrently.

Whitespace-only text never reaches an engine (Kkma and Komoran throw a
NullPointerException on it, Hannanum waits forever), and the whitespace
"tokens" the konlpy engines emit for '\\n', '\\t' or U+3000 are dropped.  Backend code: no
Streamlit import.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from namuweb import storage

ENGINES = ("okt", "komoran", "kkma", "hannanum", "mecab", "kiwi")
LABELS = {"okt": "Okt (formerly Twitter)", "komoran": "Komoran", "kkma": "Kkma", "hannanum": "Hannanum",
          "mecab": "Mecab", "kiwi": "Kiwi (kiwipiepy)"}
JAVA_ENGINES = frozenset({"okt", "komoran", "kkma", "hannanum"})

NO_JAVA = ("no Java runtime found for konlpy: install one (Debian: apt-get install default-jre-headless) "
           "or set JAVA_HOME")
JAVA_HINT = ("Install a Java runtime (Debian/Ubuntu: `sudo apt-get install default-jre-headless`, or run "
             "`./scripts/app`, which does it) and restart the app. Kiwi needs no Java.")  # Markdown, for a page
MECAB_DIC = "/usr/local/lib/mecab/dic/mecab-ko-dic"  # konlpy's Mecab() default

_SERIALIZED = frozenset({"komoran", "kkma", "hannanum", "mecab"})
_BLANK_LINE_SENSITIVE = frozenset({"komoran", "kkma", "hannanum"})
_CHECKPOINT_LINES = 1000
_CHECKPOINT_S = 2.0
_PROGRESS_S = 0.1
_KIWI_BATCH_LINES = 256
_KIWI_BATCH_BYTES = 256 * 1024


class EngineUnavailable(RuntimeError):
    """The engine cannot run here; the message is one user-facing line saying why."""


@dataclass(frozen=True)
class EngineInfo:
    name: str
    label: str
    available: bool
    reason: str | None  # why not, when not available
    needs_java: bool


# --- availability ----------------------------------------------------------

_taggers: dict[str, Callable] = {}  # engine -> fn(text, norm, stem) -> [(form, tag)]
_kiwi = None  # the Kiwi instance, for the batch path of tag_corpus
_failures: dict[str, str] = {}  # engines whose creation failed: a JVM cannot be restarted in-process
_create_lock = threading.Lock()


def _unavailable_reason(engine: str) -> str | None:
    """Why ``engine`` cannot run, from installed files only (no JVM, no model)."""
    if engine in _failures:
        return _failures[engine]
    if engine == "kiwi":
        if importlib.util.find_spec("kiwipiepy") is None or importlib.util.find_spec("kiwipiepy_model") is None:
            return "Kiwi is not installed: pip install kiwipiepy"
        return None
    if importlib.util.find_spec("konlpy") is None:
        return "konlpy is not installed: pip install konlpy"
    if engine == "mecab":
        if importlib.util.find_spec("MeCab") is None:
            return "Mecab needs the MeCab binding and mecab-ko-dic: pip install mecab-python3, then install " \
                   f"mecab-ko-dic into {MECAB_DIC}"
        if not os.path.isdir(MECAB_DIC):
            return f"Mecab's dictionary mecab-ko-dic is not installed at {MECAB_DIC}"
        return None
    import jpype
    if jpype.isJVMStarted():
        return None
    try:
        jpype.getDefaultJVMPath()
    except Exception:
        return NO_JAVA
    return None


def engines() -> list[EngineInfo]:
    """Every engine with whether it can run here; cheap enough for each Streamlit rerun."""
    result = []
    for name in ENGINES:
        reason = None if name in _taggers else _unavailable_reason(name)
        result.append(EngineInfo(name, LABELS[name], reason is None, reason, name in JAVA_ENGINES))
    return result


# --- engine creation ---------------------------------------------------------


def _check_name(engine: str) -> None:
    if engine not in LABELS:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


def _java_thread_attacher() -> Callable[[], None]:
    import jpype
    thread = jpype.JClass("java.lang.Thread")

    def attach() -> None:
        if not thread.isAttached():
            thread.attachAsDaemon()
    return attach


def _start_jvm() -> None:
    """Start konlpy's JVM from a thread that detaches and ends at once.

    The thread that starts a JVM stays attached as its non-daemon "main" thread, and JPype's
    exit handler waits for every non-daemon thread: started from a Streamlit script thread,
    which outlives the script, the server (or pytest) hung at exit.  Not destroying the JVM
    at exit instead made the process abort now and then ("exception not rethrown")."""
    import jpype
    if jpype.isJVMStarted():
        return
    problems = []

    def start() -> None:
        try:
            from konlpy.jvm import init_jvm
            init_jvm(max_heap_size=int(os.environ.get("NAMUWEB_JVM_HEAP_MB", "1024")))
            jpype.JClass("java.lang.Thread").detach()
        except Exception as problem:  # noqa: BLE001 -- re-raised in the calling thread
            problems.append(problem)
    starter = threading.Thread(target=start, name="namuweb-jvm-start")
    starter.start()
    starter.join()
    if problems:
        raise problems[0]


def _drop_spaces(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Without the whitespace 'tokens' (Okt's '\\n'/Foreign, Komoran's '\\t'/SW): they carry no
    meaning and would break the one-sentence-per-line, space-separated output."""
    return [token for token in tokens if not token[0].isspace()]


def _create(engine: str) -> Callable:
    """Build the engine and a call that hides its API; raises whatever the engine raises."""
    global _kiwi
    if engine == "kiwi":
        from kiwipiepy import Kiwi
        kiwi = _kiwi = Kiwi()
        return lambda text, norm, stem: [(t.form, t.tag) for t in kiwi.tokenize(text)]
    if engine == "mecab":
        from konlpy.tag import Mecab
        tagger = Mecab()
        call = lambda text, norm, stem: _drop_spaces(tagger.pos(text))  # noqa: E731
    else:
        _start_jvm()
        from konlpy import tag as konlpy_tag
        tagger = {"okt": konlpy_tag.Okt, "komoran": konlpy_tag.Komoran, "kkma": konlpy_tag.Kkma,
                  "hannanum": konlpy_tag.Hannanum}[engine]()
        attach = _java_thread_attacher()
        if engine == "okt":
            def call(text, norm, stem):
                attach()
                return _drop_spaces(tagger.pos(text, norm=norm, stem=stem))
        else:
            def call(text, norm, stem):
                attach()
                return _drop_spaces(tagger.pos(text))
    if engine in _SERIALIZED:
        lock = threading.Lock()
        unlocked = call

        def call(text, norm, stem):
            with lock:
                return unlocked(text, norm, stem)
    return call


def _tagger(engine: str) -> Callable:
    tagger = _taggers.get(engine)
    if tagger is not None:
        return tagger
    _check_name(engine)
    with _create_lock:
        if engine in _taggers:
            return _taggers[engine]
        reason = _unavailable_reason(engine)
        if reason:
            raise EngineUnavailable(reason)
        try:
            tagger = _create(engine)
        except Exception as error:
            _failures[engine] = f"{LABELS[engine]} could not start: {one_line(error)}"
            raise EngineUnavailable(_failures[engine]) from None
        _taggers[engine] = tagger
        return tagger


# --- tagging -----------------------------------------------------------------


def pos(text: str, engine: str = "okt", *, norm: bool = False, stem: bool = False) -> list[tuple[str, str]]:
    """``(form, tag)`` pairs; ``norm``/``stem`` are Okt's options and ignored elsewhere."""
    if not text.strip():  # no morphemes: no reason to load an engine's dictionaries for it
        _check_name(engine)
        return []
    tagger = _tagger(engine)
    if engine in _BLANK_LINE_SENSITIVE and any(not line.strip() for line in text.splitlines()):
        # Komoran throws a NullPointerException on a line of only whitespace, and Hannanum never returns
        # when the last line is one: such lines carry no morphemes, so each other line is tagged alone.
        return [token for line in text.splitlines() if line.strip() for token in tagger(line, norm, stem)]
    return tagger(text, norm, stem)


def flat(tokens: list[tuple[str, str]]) -> list[str]:
    """The tutorial's ``word/Tag`` strings."""
    return [f"{form}/{tag}" for form, tag in tokens]


def tutorial_line(text: str, engine: str = "okt", **options) -> str:
    return " ".join(flat(pos(text, engine, **options)))


def _tagged_sentences(sentences_tokens) -> list[str]:
    """The tutorial's filter: a 'sentence' of one token (a stray word, a number) is dropped."""
    return [" ".join(flat(tokens)) for tokens in sentences_tokens if len(tokens) > 1]


def tag_line(line: str, engine: str = "okt", **options) -> list[str]:
    """The tutorial's rule: split at every '.', keep sentences of more than one token."""
    return _tagged_sentences(pos(sentence, engine, **options) for sentence in line.split("."))


# Cut long text after a line, else after a sentence end, else at a space.
_SENTENCE_END = re.compile(r"[.!?。？！][\"'”’)\]]*\s+")
_SPACE = re.compile(r"\s+")


def _cut(window: str) -> int:
    """Where to end a chunk inside ``window`` (its length when nothing fits better)."""
    newline = window.rfind("\n")
    if newline > 0:
        return newline + 1
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] < len(window):
        return ends[-1]
    spaces = [m.end() for m in _SPACE.finditer(window)]
    if spaces and 0 < spaces[-1] < len(window):
        return spaces[-1]
    return len(window)


def _chunks(text: str, chunk_chars: int):
    start = 0
    while len(text) - start > chunk_chars:
        end = start + _cut(text[start:start + chunk_chars])
        yield text[start:end]
        start = end
    if start < len(text):
        yield text[start:]


def pos_chunked(text: str, engine: str = "okt", *, chunk_chars: int = 2000, progress=None, tagger=None,
                **options) -> list[tuple[str, str]]:
    """:func:`pos` (or ``tagger``, with the same signature) for text too long for one call (Kkma and
    Hannanum slow down badly on long input).

    Cuts fall on line, sentence or word boundaries, so no word is split
    unless a single 'word' is longer than ``chunk_chars``.
    """
    if chunk_chars < 1:
        raise ValueError("chunk_chars must be positive")
    tagger = tagger or pos
    tokens: list[tuple[str, str]] = []
    done = 0
    for chunk in _chunks(text, chunk_chars):
        tokens.extend(tagger(chunk, engine, **options))
        done += len(chunk)
        if progress is not None:
            progress(done, len(text))
    return tokens


# --- tagging a corpus file ---------------------------------------------------


def _read_checkpoint(sidecar: Path, src_size: int, dst: Path, settings: dict) -> dict | None:
    """The sidecar if it describes a resumable state of this very job, else None (start over)."""
    try:
        data = storage.read_json(sidecar)
        if data.get("settings") != settings:
            return None
        numbers = [data[key] for key in ("lines", "bytes_in", "bytes_out", "sentences", "tokens")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not all(isinstance(n, int) and n >= 0 for n in numbers):
        return None
    if data["bytes_in"] > src_size or not dst.exists() or dst.stat().st_size < data["bytes_out"]:
        return None
    return data


def _tag_lines_kiwi(lines: list[str]) -> list[list[str]]:
    """:func:`tag_line` for many lines in one Kiwi batch call: Kiwi spreads a batch over its thread pool."""
    sentences = [sentence for line in lines for sentence in line.split(".")]
    tokenized = iter(_kiwi.tokenize(s for s in sentences if s.strip()))
    per_sentence = [[(t.form, t.tag) for t in next(tokenized)] if s.strip() else [] for s in sentences]
    result, at = [], 0
    for line in lines:
        count = line.count(".") + 1
        result.append(_tagged_sentences(per_sentence[at:at + count]))
        at += count
    return result


def tag_corpus(src: Path, dst: Path, engine: str = "okt", *, progress=None, should_stop=None,
               resume: bool = True, tagger=None, **options) -> dict:
    """Tag ``src`` line by line into ``dst`` (one tagged sentence per line), resumably.

    Corpora can be hundreds of megabytes and Kkma tags a few sentences a
    second, so this streams (constant memory) and can be stopped and resumed.
    The sidecar ``dst.progress`` records a consistent state -- lines done, the
    offset in ``src`` after them and the size of ``dst`` that holds exactly
    their output -- written only after ``dst`` is on disk, so resuming
    truncates whatever came after it and no line is lost or written twice.
    The sidecar also records engine and options: another setting starts over.  ``tagger`` (a
    :func:`pos`-like function) tags each sentence instead of this process's own engine: the jobs pass
    one that answers within the engine's time limit.
    """
    src, dst = Path(src), Path(dst)
    pos_of = tagger or pos
    tagger = _tagger(engine) if tagger is None or engine == "kiwi" else None
    norm, stem = bool(options.pop("norm", False)), bool(options.pop("stem", False))
    if options:
        raise TypeError(f"unknown options: {', '.join(options)}")
    settings = {"engine": engine, "norm": norm, "stem": stem} if engine == "okt" else {"engine": engine}
    sidecar = dst.with_suffix(dst.suffix + ".progress")
    total = src.stat().st_size
    state = _read_checkpoint(sidecar, total, dst, settings) if resume else None
    if state is None:
        state = {"lines": 0, "bytes_in": 0, "bytes_out": 0, "sentences": 0, "tokens": 0}
    state["settings"] = settings
    started = time.monotonic()
    batch = _kiwi is not None and tagger is _taggers.get("kiwi")
    max_lines = _KIWI_BATCH_LINES if batch else 1
    stopped = False

    def checkpoint(fout) -> None:
        fout.flush()
        os.fsync(fout.fileno())
        storage.write_json(sidecar, state, durable=True)

    def tag_block(lines: list[str]) -> list[list[str]]:
        if batch:
            return _tag_lines_kiwi(lines)
        return [_tagged_sentences(pos_of(s, engine, norm=norm, stem=stem) for s in line.split(".")) for line in lines]

    mode = "r+b" if state["bytes_out"] else "wb"
    with open(src, "rb") as fin, open(dst, mode) as fout:
        fin.seek(state["bytes_in"])
        fout.truncate(state["bytes_out"])
        fout.seek(state["bytes_out"])
        last_checkpoint, lines_at_checkpoint, last_progress = time.monotonic(), state["lines"], 0.0
        try:
            while not stopped:
                raw_lines: list[bytes] = []
                size = 0
                while len(raw_lines) < max_lines and size < _KIWI_BATCH_BYTES:
                    if should_stop is not None and should_stop():
                        stopped = True
                        break
                    raw = fin.readline()
                    if not raw:
                        break
                    raw_lines.append(raw)
                    size += len(raw)
                if not raw_lines:
                    break
                tagged = tag_block([raw.decode("utf-8", errors="replace") for raw in raw_lines])
                for raw, sentences in zip(raw_lines, tagged):
                    if sentences:
                        out = ("\n".join(sentences) + "\n").encode("utf-8")
                        fout.write(out)
                        state["bytes_out"] += len(out)
                        state["sentences"] += len(sentences)
                        state["tokens"] += sum(s.count(" ") + 1 for s in sentences)
                    state["lines"] += 1
                    state["bytes_in"] += len(raw)
                now = time.monotonic()
                if state["lines"] - lines_at_checkpoint >= _CHECKPOINT_LINES or now - last_checkpoint >= _CHECKPOINT_S:
                    checkpoint(fout)
                    last_checkpoint, lines_at_checkpoint = now, state["lines"]
                if progress is not None and now - last_progress >= _PROGRESS_S:
                    progress(state["bytes_in"], total, state["lines"], state["sentences"])
                    last_progress = now
        finally:
            checkpoint(fout)  # also on errors: the state only ever counts lines fully written
    if progress is not None:
        progress(state["bytes_in"], total, state["lines"], state["sentences"])
    return {"lines": state["lines"], "sentences": state["sentences"], "tokens": state["tokens"],
            "seconds": time.monotonic() - started, "stopped": stopped,
            "bytes_in": state["bytes_in"], "bytes_total": total}


# --- tag meanings --------------------------------------------------------------

# English glosses per tagset; Korean ones come from konlpy's tagset files.
_OKT_EN = {
    "Adjective": "adjective", "Adverb": "adverb", "Alpha": "Latin letters", "Conjunction": "conjunction",
    "Determiner": "determiner", "Eomi": "verb ending", "Exclamation": "interjection",
    "Foreign": "foreign word, Hanja or other symbol", "Hashtag": "Twitter hashtag", "Josa": "particle",
    "KoreanParticle": "lone jamo (e.g. ㅋㅋ)", "Noun": "noun", "Number": "number",
    "PreEomi": "pre-final ending", "Punctuation": "punctuation", "ScreenName": "Twitter user name",
    "Suffix": "suffix", "Unknown": "unknown word", "Verb": "verb",
    # open-korean-text emits these too, but konlpy's twitter.json lacks them
    "Email": "e-mail address", "URL": "URL", "CashTag": "cash tag ($AAPL)", "Modifier": "modifier",
    "VerbPrefix": "verb prefix", "ProperNoun": "proper noun", "Korean": "Korean text", "Others": "other",
    "Space": "space",
}
_OKT_KO_EXTRA = {"Email": "이메일", "URL": "웹 주소", "CashTag": "캐시태그", "Modifier": "수식어",
                 "VerbPrefix": "동사 접두사", "ProperNoun": "고유명사", "Korean": "한국어", "Others": "기타",
                 "Space": "공백"}

# The Sejong tagset as Komoran, Mecab and Kiwi use it: (Korean, English).
_SEJONG = {
    "NNG": ("일반 명사", "general noun"), "NNP": ("고유 명사", "proper noun"), "NNB": ("의존 명사", "bound noun"),
    "NNBC": ("단위를 나타내는 명사", "unit noun"), "NR": ("수사", "numeral"), "NP": ("대명사", "pronoun"),
    "VV": ("동사", "verb"), "VA": ("형용사", "adjective"), "VX": ("보조 용언", "auxiliary predicate"),
    "VCP": ("긍정 지정사", "copula '이다'"), "VCN": ("부정 지정사", "negative copula '아니다'"),
    "MM": ("관형사", "determiner"), "MAG": ("일반 부사", "general adverb"), "MAJ": ("접속 부사", "conjunctive adverb"),
    "IC": ("감탄사", "interjection"), "JKS": ("주격 조사", "subject particle"),
    "JKC": ("보격 조사", "complement particle"), "JKG": ("관형격 조사", "possessive particle"),
    "JKO": ("목적격 조사", "object particle"), "JKB": ("부사격 조사", "adverbial particle"),
    "JKV": ("호격 조사", "vocative particle"), "JKQ": ("인용격 조사", "quotative particle"),
    "JX": ("보조사", "auxiliary particle"), "JC": ("접속 조사", "conjunctive particle"),
    "EP": ("선어말 어미", "pre-final ending"), "EF": ("종결 어미", "final ending"),
    "EC": ("연결 어미", "connective ending"), "ETN": ("명사형 전성 어미", "nominalizing ending"),
    "ETM": ("관형형 전성 어미", "adnominal ending"), "XPN": ("체언 접두사", "noun prefix"),
    "XSN": ("명사 파생 접미사", "noun-deriving suffix"), "XSV": ("동사 파생 접미사", "verb-deriving suffix"),
    "XSA": ("형용사 파생 접미사", "adjective-deriving suffix"), "XR": ("어근", "root"),
    "SF": ("마침표, 물음표, 느낌표", "sentence-final punctuation"), "SP": ("쉼표, 가운뎃점, 콜론, 빗금", "comma, colon, slash"),
    "SS": ("따옴표, 괄호표, 줄표", "quote, bracket, dash"), "SSO": ("여는 괄호", "opening bracket"),
    "SSC": ("닫는 괄호", "closing bracket"), "SC": ("구분자", "separator , · / :"), "SE": ("줄임표", "ellipsis"),
    "SO": ("붙임표 (물결, 숨김, 빠짐)", "hyphen, tilde"), "SW": ("기타 기호", "other symbol"),
    "SY": ("기타 기호", "other symbol"), "SL": ("외국어", "foreign (Latin) letters"), "SH": ("한자", "Hanja"),
    "SN": ("숫자", "number"), "NA": ("분석 불능 범주", "unanalyzable"), "NF": ("명사 추정 범주", "presumed noun"),
    "NV": ("용언 추정 범주", "presumed predicate"),
}
_KIWI_EXTRA = {
    "XSM": ("부사 파생 접미사", "adverb-deriving suffix"),
    "SB": ("순서 있는 글머리", "list bullet (가. 1. 가))"), "UN": ("분석 불능", "unanalyzable"),
    "W_URL": ("URL 주소", "URL"), "W_EMAIL": ("이메일 주소", "e-mail address"),
    "W_HASHTAG": ("해시태그", "hashtag"), "W_MENTION": ("멘션", "mention (@name)"),
    "W_SERIAL": ("일련번호", "serial number (phone, account, IP)"), "W_EMOJI": ("이모지", "emoji"),
    "Z_CODA": ("덧붙은 받침", "added final consonant"), "Z_SIOT": ("사이시옷", "linking ㅅ (saisiot)"),
    **{f"USER{i}": ("사용자 정의 태그", "user-defined tag") for i in range(5)},
}
_KIWI_TAGS = ("NNG NNP NNB NR NP VV VA VX VCP VCN MM MAG MAJ IC JKS JKC JKG JKO JKB JKV JKQ JX JC EP EF EC ETN ETM "
              "XPN XSN XSV XSA XR SF SP SS SSO SSC SE SO SW SL SH SN").split()
_KKMA_EN = {
    "EC": "connective ending", "ECD": "dependent connective ending", "ECE": "coordinate connective ending",
    "ECS": "auxiliary connective ending", "EF": "final ending", "EFA": "propositive final ending",
    "EFI": "exclamatory final ending", "EFN": "declarative final ending", "EFO": "imperative final ending",
    "EFQ": "interrogative final ending", "EFR": "honorific final ending", "EP": "pre-final ending",
    "EPH": "honorific pre-final ending", "EPP": "polite pre-final ending", "EPT": "tense pre-final ending",
    "ET": "transformative ending", "ETD": "adnominal ending", "ETN": "nominalizing ending", "IC": "interjection",
    "JC": "conjunctive particle", "JK": "particle", "JKC": "complement particle", "JKG": "possessive particle",
    "JKI": "vocative particle", "JKM": "adverbial particle", "JKO": "object particle",
    "JKQ": "quotative particle", "JKS": "subject particle", "JX": "auxiliary particle", "MA": "adverb",
    "MAC": "conjunctive adverb", "MAG": "general adverb", "MD": "determiner", "MDN": "numeral determiner",
    "MDT": "general determiner", "NN": "noun", "NNB": "bound noun", "NNG": "common noun", "NNM": "unit noun",
    "NNP": "proper noun", "NP": "pronoun", "NR": "numeral", "OH": "Hanja", "OL": "foreign word", "ON": "number",
    "SE": "ellipsis", "SF": "sentence-final punctuation", "SO": "hyphen, tilde", "SP": "comma, colon, slash",
    "SS": "quote, bracket, dash", "SW": "other symbol", "UN": "presumed noun", "VA": "adjective",
    "VC": "copula", "VCN": "negative copula '아니다'", "VCP": "copula '이다'", "VV": "verb",
    "VX": "auxiliary predicate", "VXA": "auxiliary adjective", "VXV": "auxiliary verb", "XP": "prefix",
    "XPN": "noun prefix", "XPV": "predicate prefix", "XR": "root", "XSA": "adjective-deriving suffix",
    "XSN": "noun-deriving suffix", "XSV": "verb-deriving suffix",
    "EMO": "emoticon",  # Kkma emits it; konlpy's kkma.json lacks it
}
_KKMA_KO_EXTRA = {"EMO": "이모티콘"}
_HANNANUM_EN = {
    "E": "ending", "EC": "connective ending", "EF": "final ending", "EP": "pre-final ending",
    "ET": "transformative ending", "F": "foreign word", "I": "independent word", "II": "interjection",
    "J": "particle", "JC": "case particle", "JP": "predicative particle '이다'", "JX": "auxiliary particle",
    "M": "modifier", "MA": "adverb", "MM": "determiner", "N": "noun", "NB": "bound noun", "NC": "common noun",
    "NN": "numeral", "NP": "pronoun", "NQ": "proper noun", "P": "predicate", "PA": "adjective", "PV": "verb",
    "PX": "auxiliary predicate", "S": "symbol", "X": "affix", "XP": "prefix", "XS": "suffix",
}


def _konlpy_korean(tagset: str) -> dict[str, str]:
    """konlpy's Korean tag names, read as files so that neither konlpy's JVM code nor Mecab is imported."""
    spec = importlib.util.find_spec("konlpy")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "tagset" / f"{tagset}.json"
    try:
        return storage.read_json(path)
    except (OSError, ValueError):
        return {}


def tag_meanings(engine: str) -> dict[str, tuple[str, str]]:
    """tag -> (Korean meaning, English meaning) for the tags ``engine`` emits."""
    _check_name(engine)
    if engine == "kiwi":
        meanings = {tag: _SEJONG[tag] for tag in _KIWI_TAGS} | _KIWI_EXTRA
        for tag in ("VV", "VA", "VX", "XSA"):  # Kiwi marks regular (-R) and irregular (-I) conjugation
            ko, en = meanings[tag]
            meanings[f"{tag}-R"] = (f"{ko} (규칙 활용)", f"{en} (regular)")
            meanings[f"{tag}-I"] = (f"{ko} (불규칙 활용)", f"{en} (irregular)")
        return meanings
    if engine in ("komoran", "mecab"):
        korean = _konlpy_korean(engine) or {tag: ko for tag, (ko, _) in _SEJONG.items()}
        return {tag: (ko, _SEJONG[tag][1] if tag in _SEJONG else "") for tag, ko in korean.items()}
    tagset, english, extra = {"okt": ("twitter", _OKT_EN, _OKT_KO_EXTRA), "kkma": ("kkma", _KKMA_EN, _KKMA_KO_EXTRA),
                              "hannanum": ("hannanum", _HANNANUM_EN, {})}[engine]
    korean = _konlpy_korean(tagset) | extra
    return {tag: (korean.get(tag, ""), en) for tag, en in english.items()}
