"""namuweb.corpora.namumark: namu-mark -> the text a reader sees, checked construct by construct on cases
written for namuweb (the public namu-mark parsers' own test inputs are benchmark data in ../shared:
bench/namumark.py --collection runs them)."""

import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namuweb.corpora.namumark import TextOptions, convert, is_redirect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from namumark import lost_and_left  # noqa: E402  (bench/namumark.py's comparison, checked here)


def to_text(markup: str, options: TextOptions = TextOptions()) -> str:
    """The text the dump import keeps of a page (``namuwiki`` calls ``convert`` and keeps ``.text``)."""
    return convert(markup, options).text


# --- broken markup never swallows a page ----------------------------------------------

BROKEN_PAGE = "[[열린 링크\n{{{닫히지 않은 블록\n'''굵게\n[* 닫히지 않은 각주\n정상 문장도 있다."


def test_the_broken_page_keeps_its_words_and_no_markup():
    converted = convert(BROKEN_PAGE)
    for words in ("열린 링크", "굵게", "정상 문장도 있다", "닫히지 않은 블록", "닫히지 않은 각주"):
        assert words in converted.text
    assert not set(converted.text) & set("[]{}*'"), converted.text
    assert converted.repairs == 3  # "[[", "{{{" and "[*"


@pytest.mark.parametrize("opener", ["{{{", "{{{#!syntax python", "{{{#!html", "{{{#!if a == 1", "{{{#!style",
                                    "{{{#!wiki style=\"a\"", "{{{#!folding 더보기", "{{{+1", "[[", "[*"])
def test_an_unclosed_opener_in_section_three_of_ten_loses_nothing_after_it(opener):
    sections = [f"== 제{n}절 ==\n{n}번째 절의 본문 문장이 여기에 있다." for n in range(1, 11)]
    sections[2] += f"\n앞 {opener}\n열린 뒤의 글"
    text = to_text("\n".join(sections))
    for n in range(1, 11):
        assert f"제{n}절" in text and f"{n}번째 절의 본문 문장이 여기에 있다." in text, (opener, text)
    assert "열린 뒤의 글" in text and "{" not in text and "[" not in text


def test_stray_closers_are_dropped_and_counted():
    converted = convert("남는 }}} 괄호 ]] 와 ]")
    assert converted.text == "남는 괄호 와 ]"  # a lone "]" is prose
    assert converted.repairs == 2
    assert convert("닫히지 않은 [[링크 글자") == convert("닫히지 않은 링크 글자]]")
    assert convert("[1] 대괄호 [참고]").repairs == 0 and convert("[[a]] {{{#red b}}} [* c]").repairs == 0


_PIECES = st.sampled_from(["[[", "]]", "[", "]", "[*", "{{{", "}}}", "|", "||", "'''", "''", "=", "==", "\\",
                           "\n", " ", "#!wiki style=\"", "#!folding ", "#!syntax ", "#!html", "#!if ", "#red ",
                           "+1 ", "[br]", "[include(", "[ruby(", ")]", "<br>", "<-2>", ">", " * ", "##", "----",
                           "--", "~~", "^^", ",,", "__", "가", "a", "파일:", "#s-1", "\ue000", "\ue003", "\r"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_fuzz_whatever_comes_before_a_plain_line_it_survives(markup):
    """No markup before a plain last line can swallow it: nothing after it closes a block."""
    text = to_text(markup + "\n정상 문장이 끝에 있다\n")
    assert "정상 문장이 끝에 있다" in text


# --- the constructs the public parsers' tests showed lost or left --------------------------

@pytest.mark.parametrize("markup, expected", [
    ("\\[[나무위키:편집 도움말]]", "[[나무위키:편집 도움말]]"),
    ("\\[include(틀:상위 문서)]", "[include(틀:상위 문서)]"),
    ("[[C\\#음계]]는 곡명", "C#음계는 곡명"),
    ("\\'\\'\\'굵지 않음\\'\\'\\' \\\\ 끝", "'''굵지 않음''' \\ 끝"),
    ("[[현재#s-2]] 문단, [[현재#s-2|두 번째]] 문단, [[#s-3]]", "현재 문단, 두 번째 문단, #s-3"),
    ("[[https://example.com/#top]]", "https://example.com/#top"),
    ("바탕 {{{#3e4f5a}}} 글씨 {{{#fff}}} {{{#a0a}}} {{{-2}}}", "바탕 #3e4f5a 글씨 #fff #a0a -2"),
    ("{{{#!html <span style=\"color:red\">빨간 글</span><br>둘째}}} 뒤", "빨간 글\n둘째 뒤"),
    ("{{{#!if 변수 == 1\n조건부 글}}} 뒤", "조건부 글 뒤"),
    ("{{{#!style .a{color:red}\n}}} 본문", "본문"),
    ("[ruby(港口,ruby=항구)]를 읽는다", "港口를 읽는다"),
    ("넓이는 [math(\\pi r^2)]이다", "넓이는 \\pi r^2이다"),
    ("폴더 {{{D:\\자료}}} 끝", "폴더 D:\\자료 끝"),
    ("||<rowclass=tab tab-a selected> 가 ||<table align=center><bgcolor=#fff> 나 ||", "가 나"),
    ("|항구 목록| 이름 || 크기 ||", "항구 목록 이름 크기"),
    ("|표 제목|| 가 || 나 ||", "표 제목 가 나"),
    ("||{{{#!wiki\n * 목록 항목\n}}}||", "목록 항목"),
    ("문장 --- 다른 문장", "문장 --- 다른 문장"),
    ("---", "---"),
    ("좋아요 ^^", "좋아요 ^^"),
    ("==제목==", "==제목=="),  # namu-mark needs the spaces: this is text
])
def test_constructs_the_public_parsers_render(markup, expected):
    assert to_text(markup) == expected


# --- the comparison bench/namumark.py makes -------------------------------------------

def test_the_comparison_sees_loss_and_leftover_markup():
    assert lost_and_left("서울 은 수도", "서울은\n수도") == ([], [])
    assert lost_and_left("열린 링크 정상 문장", "[[열린 링크") == (["정상문장"], ["[["])
    assert lost_and_left("가 나", "가 각주 나") == ([], [])  # extra words are neither
    assert lost_and_left("가", "가 {{{x}}}", code=("{{{x}}}\n",)) == ([], [])


# --- each construct --------------------------------------------------------

@pytest.mark.parametrize("markup, expected", [
    ("[[서울]]은 수도", "서울은 수도"),
    ("[[대한민국|한국]]의 수도", "한국의 수도"),
    ("[[:파일:지도.png]] 문서", "파일:지도.png 문서"),
    ("[[파일:사진.jpg|width=100]]사진 [[File:a.png]][[분류:도시]][[이미지:b.png]]", "사진"),
    ("[[https://example.com|누리집]]", "누리집"),
    ("'''굵게''' ''기울임'' __밑줄__ ~~취소~~ --취소-- ^^위^^ ,,아래,,", "굵게 기울임 밑줄 취소 취소 위 아래"),
    ("{{{+1 큰}}} {{{-2 작은}}} {{{#red 빨강}}} {{{#ff0000 빨강2}}} {{{#f00,#0f0 다크}}}", "큰 작은 빨강 빨강2 다크"),
    ("{{{#!html <b>굵게</b> &amp; 글}}}본문", "굵게 & 글본문"),
    ('{{{#!wiki style="border:1px solid"\n안쪽 [[링크]] 글\n}}}', "안쪽 링크 글"),
    ("{{{#!folding 더보기\n접힌 내용\n}}}", "더보기\n접힌 내용"),
    ("앞 {{{#!syntax python\nprint(1)\n}}} 뒤", "앞 뒤"),
    ("코드 {{{[[안링크]]}}} 끝", "코드 [[안링크]] 끝"),  # an inline literal is text the reader sees
    ("= 제목 =\n== 개요 ==\n본문\n===# 접힘 #===\n내용\n====== 육 ======", "제목\n개요\n본문\n접힘\n내용\n육"),
    ("||<tablebordercolor=#000><:> 이름 ||<-2> 값 ||\n|| a || b ||", "이름 값\na b"),
    ("||<table align=center><|2> 칸 ||<bgcolor=#fff> 둘 ||", "칸 둘"),
    ("본문[* 각주.]입니다.", "본문입니다."),
    ("본문[*A 라벨 각주] 다시[*A]", "본문 다시"),
    ("[목차]\n[tableofcontents]\n[include(틀:상위 문서, top1=x)]\n본문[각주][footnote]", "본문"),
    ("첫줄[br]둘째줄[BR]셋째", "첫줄\n둘째줄\n셋째"),
    ("a [youtube(abc, width=640)] [date] [datetime] [pagecount] [age(2000-01-01)] [dday(2030-01-01)] "
     "[anchor(x)] [clearfix] [ruby(글,ruby=x)] b", "a 글 b"),
    ("## 주석 [[링크]]\n본문", "본문"),
    ("> 인용문\n>> 겹인용", "인용문\n겹인용"),
    (" * 별\n 1. 하나\n a. 가\n i. 로마\n  * 들여쓴 별", "별\n하나\n가\n로마\n들여쓴 별"),
    ("위\n----\n아래", "위\n\n아래"),
    ("한 줄<br>두 줄<br/>세 줄", "한 줄\n두 줄\n세 줄"),
    ("가\n\n\n\n나   \n", "가\n\n나"),
    ("[1] 대괄호 [참고]", "[1] 대괄호 [참고]"),
    ("", ""),
])
def test_each_construct(markup, expected):
    assert to_text(markup) == expected


@pytest.mark.parametrize("markup, expected", [
    ("본문[* 각주 [[링크|라벨]] 설명]끝", "본문끝"),
    ("[[문서|'''굵은 [[파일:x.png]] 라벨''']]", "굵은 라벨"),
    ("{{{#!wiki style=\"a\"\n{{{#!folding 제목\n{{{+1 '''[[깊은|링크]]'''}}}[* 주석 {{{#blue 파랑}}}]\n}}}\n}}}",
     "제목\n링크"),
    ("{{{#!syntax python\nx = '''{{{안}}}'''\n}}}뒤", "뒤"),
    ("||{{{#red 빨강}}}||[[a|b]][* 주]||", "빨강 b"),
    ("== [[서울]] 개요[* 주] ==", "서울 개요"),
    ("[* 바깥 [br] 안쪽]뒤", "뒤"),
    ("{{{#!folding 열기\n * [[가]]\n * {{{#red 나}}}\n}}}", "열기\n가\n나"),
])
def test_nested_constructs(markup, expected):
    assert to_text(markup) == expected


def test_options_change_the_output():
    markup = "== 개요 ==\n본문[* 각주 [[링크]]] 문장\n|| a || b ||\n{{{#!syntax python\nx = '''1'''\n}}}\n코드 {{{[[그대로]]}}}"
    assert to_text(markup) == "개요\n본문 문장\na b\n\n코드 [[그대로]]"
    assert to_text(markup, TextOptions(keep_headings=False)) == "본문 문장\na b\n\n코드 [[그대로]]"
    assert to_text(markup, TextOptions(keep_tables=False)) == "개요\n본문 문장\n\n코드 [[그대로]]"
    assert to_text(markup, TextOptions(keep_code=True)) == "개요\n본문 문장\na b\nx = '''1'''\n코드 [[그대로]]"
    assert to_text(markup, TextOptions(footnotes="inline")) == "개요\n본문 (각주 링크) 문장\na b\n\n코드 [[그대로]]"
    assert to_text("본문 [* 각주]", TextOptions(footnotes="inline")) == "본문 (각주)"
    assert to_text("본문[*A 라벨 각주][*A]", TextOptions(footnotes="inline")) == "본문 (라벨 각주)"


def test_is_redirect():
    assert is_redirect("#redirect 서울")
    assert is_redirect("  #넘겨주기 가상도시#역사")
    assert is_redirect("#REDIRECT 서울")
    assert not is_redirect("본문 #redirect 서울")
    assert not is_redirect("#redirect")
    assert not is_redirect(None)


# --- robustness -------------------------------------------------------------

_NAMU_PIECES = st.sampled_from(["[[", "]]", "[", "]", "[*", "{{{", "}}}", "|", "||", "'''", "''", "=", "==",
                                "\n", " ", "#!wiki style=\"", "#!folding ", "#!syntax ", "#!html", "#red ", "+1 ",
                                "[br]", "[include(", ")]", "<br>", "<-2>", ">", " * ", "##", "----", "가", "a",
                                "\ue000", "\ue001", "\r", "^^", ",,"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_NAMU_PIECES, max_size=60).map("".join))
def test_fuzz_never_raises(markup):
    for options in (TextOptions(), TextOptions(keep_code=True, footnotes="inline", keep_tables=False)):
        assert isinstance(to_text(markup, options), str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text_never_raises(markup):
    assert isinstance(to_text(markup), str)
    assert isinstance(is_redirect(markup), bool)


@pytest.mark.parametrize("unit", ["[[", "{{{", "[[a|{{{#!wiki style=\"", "[*[", "{{{#!folding [[", "= ", "||<", "--a",
                                  "\\", "\\{{{", "}}}}", "{{{#!folding a\n", "[ruby(", "[[a#", "{{{#!html <", "|캡|",
                                  "{{{\\", "{{{\\}}}", "{{{#!syntax a ", "{{{#!style ", "{{{ {{{#!wiki\n"])
def test_adversarial_nesting_is_linear(unit):
    markup = unit * (200_000 // len(unit))
    started = time.process_time()  # CPU seconds: a loaded machine's pauses are not the parser's work
    to_text(markup, TextOptions(keep_code=True, footnotes="inline"))
    assert time.process_time() - started < 1.0


def test_doubling_input_about_doubles_time():
    base = ("== 개요 ==\n'''[[가상|도시]]'''[* 각주 [[링크]]] {{{#!wiki style=\"a\"\n{{{+1 글}}}\n}}}\n"
            "|| a || b ||\n [[[[{{{ ") * 2000

    def best(markup):
        """This process's CPU seconds, not wall time: on a loaded machine a run that the scheduler
        pauses would look slower than its work (a 12 ms run once read 41 ms beside two busy cores)."""
        times = []
        for _ in range(5):
            started = time.process_time()
            to_text(markup)
            times.append(time.process_time() - started)
        return min(times)

    small, large = best(base), best(base * 2)
    assert large < 3.5 * small


