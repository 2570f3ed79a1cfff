"""The literal and escape rules written in namuweb.corpora.namumark's docstring, one test each.

Every text here was written for namuweb: sentences about an invented town and the markup facts that
namu.wiki's syntax help states (a literal shows what it holds; a backslash escapes outside literals)."""

import pytest

from namuweb.corpora.namumark import TextOptions, convert


def to_text(markup: str, options: TextOptions = TextOptions()) -> str:
    return convert(markup, options).text


# 1. nothing inside a literal is markup, not even a backslash

@pytest.mark.parametrize("markup, expected", [
    ("줄바꿈 기호는 {{{\\}}}를 쓴다", "줄바꿈 기호는 \\를 쓴다"),  # a literal of one backslash
    ("가 {{{\\}}} 나 '''다''' 라", "가 \\ 나 다 라"),  # and the markup after it is read again
    ("경로 구분자 {{{\\\\}}} 두 개", "경로 구분자 \\\\ 두 개"),
    ("링크 문법은 {{{\\[[문서 이름]]}}}처럼 막는다", "링크 문법은 \\[[문서 이름]]처럼 막는다"),
    ("표는 {{{|| 칸 ||}}}로 그린다", "표는 || 칸 ||로 그린다"),
    ("굵게는 {{{'''굵게'''}}}, 각주는 {{{[* 설명]}}}", "굵게는 '''굵게''', 각주는 [* 설명]"),
    ("{{{\\}}} 하나 {{{\\}}} 둘 {{{\\}}} 셋", "\\ 하나 \\ 둘 \\ 셋"),
])
def test_a_literal_shows_what_it_holds(markup, expected):
    converted = convert(markup)
    assert converted.text == expected
    assert converted.repairs == 0  # each literal closed where it should


def test_a_backslash_literal_does_not_shift_the_pairing_of_later_blocks():
    page = "기호 {{{\\}}} 설명\n{{{#!wiki style=\"margin:0\"\n상자 안의 [[가상 항구|항구]] 글\n}}}\n끝 문장 {{{#blue 파랑}}}"
    lines = [line for line in to_text(page).split("\n") if line]  # a block's end may leave a blank line
    assert lines == ["기호 \\ 설명", "상자 안의 항구 글", "끝 문장 파랑"]


# 2. braces nest inside a literal, so a literal can quote a whole block

@pytest.mark.parametrize("markup, expected", [
    ("{{{\\{{{#red 색상}}}}}}", "\\{{{#red 색상}}}"),
    ("예: {{{{{{#red 빨간 글}}}}}} 끝", "예: {{{#red 빨간 글}}} 끝"),
    ("{{{바깥 {{{안쪽}}} 다시 바깥}}} 뒤", "바깥 {{{안쪽}}} 다시 바깥 뒤"),
    ("{{{{{{#!wiki style=\"a\"}}}}}} 로 상자를 연다", "{{{#!wiki style=\"a\"}}} 로 상자를 연다"),
])
def test_braces_nest_inside_a_literal(markup, expected):
    assert to_text(markup) == expected


# 3. a run of more than three closing braces: the last three close, the ones before are content

@pytest.mark.parametrize("markup, expected", [
    ("{{{집합 {a}}}} 뒤", "집합 {a} 뒤"),
    ("{{{a}b}}}", "a}b"),
    ("{{{중괄호}}}}} 둘", "중괄호}} 둘"),
])
def test_the_last_three_closing_braces_close(markup, expected):
    assert to_text(markup) == expected


# 4. outside literals a backslash escapes the next character; escapes never reach into a literal

@pytest.mark.parametrize("markup, expected", [
    ("\\[[링크 아님]] 글", "[[링크 아님]] 글"),
    ("\\{{{열지 않음 [[가상 섬|섬]]", "{{{열지 않음 섬"),
    ("\\'\\'\\'그대로\\'\\'\\' 쓴다", "'''그대로''' 쓴다"),
    ("역슬래시 \\\\ 하나", "역슬래시 \\ 하나"),
    ("밖 \\[[ 안 {{{\\[[}}}", "밖 [[ 안 \\[["),  # the same two characters, outside and inside
    ("[[A\\#B 밴드]]의 노래", "A#B 밴드의 노래"),
])
def test_escapes_apply_outside_literals_only(markup, expected):
    assert to_text(markup) == expected


# 5. the header decides the block, and a block may open in the middle of a line

@pytest.mark.parametrize("markup, expected", [
    ("바다 {{{#!wiki style=\"color:gray\"\n회색 상자 [[등대]]\n}}} 다음 문장", "바다 회색 상자 등대\n다음 문장"),
    ("접힌 설명 {{{#!folding [ 펼치기 ]\n숨은 이야기\n}}}", "접힌 설명\n[ 펼치기 ]\n숨은 이야기"),
    ("본문 {{{#!html <b>굵은 표지</b>}}} 이어짐", "본문 굵은 표지 이어짐"),
    ("본문 {{{#!html a\\b}}} 끝", "본문 a\\b 끝"),  # an html block is opaque too: its backslash stays
    ("문장 {{{#!syntax python\nprint('''x''')\n}}} 뒤", "문장 뒤"),
    ("크게 {{{+2 외친다}}} 작게 {{{-1 속삭인다}}} 빨강 {{{#f00 불}}}", "크게 외친다 작게 속삭인다 빨강 불"),
    ("색 코드 {{{#2a3b4c}}} 와 {{{#abc}}}", "색 코드 #2a3b4c 와 #abc"),  # a colour with no text is literal text
])
def test_the_header_decides_the_block(markup, expected):
    assert to_text(markup) == expected


def test_markup_inside_a_container_block_is_read_and_escaped():
    assert to_text("{{{#!wiki\n\\[[글자 그대로]] 와 [[가상 시장|시장]]\n}}}") == "[[글자 그대로]] 와 시장"


# 6. a literal over several lines is a code block

def test_a_literal_over_lines_is_code():
    markup = "설명\n{{{\n첫째 줄 \\n\n[[둘째]] 줄\n}}}\n끝"
    assert to_text(markup) == "설명\n\n끝"
    assert to_text(markup, TextOptions(keep_code=True)) == "설명\n첫째 줄 \\n\n[[둘째]] 줄\n끝"


# 7. broken literals: an opener never closed is dropped, a closer with nothing open too

@pytest.mark.parametrize("markup, expected, repairs", [
    ("앞 {{{ 닫히지 않은 [[가상 골목|골목]] 이야기", "앞 닫히지 않은 골목 이야기", 1),
    ("{{{\\ 열린 채 \\[[링크 아님]]", "열린 채 [[링크 아님]]", 1),  # read again outside the literal
    ("닫기만 }}} 있다 {{{\\}}} 뒤", "닫기만 있다 \\ 뒤", 1),
    ("{{{#!html 열린 html [[가상 다리|다리]]", "열린 html 다리", 1),
])
def test_a_broken_literal_loses_no_words(markup, expected, repairs):
    converted = convert(markup)
    assert converted.text == expected
    assert converted.repairs == repairs
