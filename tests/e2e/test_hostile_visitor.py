"""A hostile visitor on the shared server: URLs that used to hang an engine for everyone, and a name
written as Markdown that used to become a live link and an image fetched from anywhere.

While the attacks run, a second visitor opens every page; each must be served within 10 s, and no
page may link to, or load anything from, the address the planted name points at (a local HTTP
server that records every request it gets).
"""

import http.server
import re
import threading
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from ui import open_from_sidebar
from library_texts import add_text

PAGES = ["", "corpora", "tagger", "embeddings", "vocabulary", "train", "generate"]
SECOND_VISITOR_BOUND_S = 10.0


@pytest.fixture
def listener():
    """A local HTTP server that records the path of every request it gets."""
    requests = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()


@pytest.fixture
def planted_name(namuweb_home, listener, monkeypatch):
    """A corpus in the shared server's library whose name is a Markdown link, image and directive."""
    from namuweb.corpora import corpus
    address, _ = listener
    monkeypatch.setenv("NAMUWEB_HOME", str(namuweb_home))
    name = f"[로그인하여 보기](http://{address}/login) ![t](http://{address}/pixel.png) :red[빨강]"
    stored = add_text("한국어 문장 하나.\n".encode(), "hostile.txt", home=namuweb_home)
    corpus.rename_corpus(stored.id, name, home=namuweb_home)
    try:
        yield name
    finally:  # the shared server's later tests train on its default corpus
        corpus.delete_corpus(stored.id, home=namuweb_home)


def visit_every_page(page, app, wait_for_app, address) -> dict[str, float]:
    """Seconds to idle for each page, home opened by its URL and the others from the sidebar, as a
    visitor moves on; fails on a link or image pointing at ``address``."""
    def idle(p):
        return wait_for_app(p, timeout=SECOND_VISITOR_BOUND_S * 1000)
    seconds = {}
    for path in PAGES:
        if path:
            seconds[path] = open_from_sidebar(page, path, idle)
        else:
            page.goto(app, wait_until="commit")
            seconds["home"] = idle(page)
        leaks = page.locator(f'a[href*="{address}"], img[src*="{address}"], [style*="{address}"]')
        assert leaks.count() == 0, f"/{path} links to or loads the planted address: {leaks.first.evaluate('e => e.outerHTML')}"
    return seconds


def test_a_hostile_visitor_takes_nothing_down_for_the_next(app_server, browser, wait_for_app, listener,
                                                           planted_name, figure):
    address, requests = listener
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR") for _ in range(2)]
    attacker, visitor = (c.new_page() for c in contexts)
    try:
        # Kkma is superlinear on a repeated syllable: 300 of them took it minutes and its heap.
        attacker.goto(f"{app_server}/tagger?engine=kkma&text={quote('하' * 300)}", wait_until="commit")
        during_kkma = visit_every_page(visitor, app_server, wait_for_app, address)
        expect(attacker.get_by_text("Kkma gave up")).to_be_visible(timeout=90_000)

        # Hannanum used to hang for good on a last line of only a space, and keep its lock.
        attacker.goto(f"{app_server}/tagger?engine=hannanum&text={quote('대한민국' + chr(10) + ' ')}")
        expect(attacker.locator('[data-testid="stText"]').first).to_contain_text("대한민국", timeout=60_000)
        visitor.goto(f"{app_server}/tagger?engine=hannanum&text={quote('나무위키 말뭉치')}", wait_until="commit")
        expect(visitor.locator('[data-testid="stText"]').first).to_contain_text("나무위키",
                                                                             timeout=SECOND_VISITOR_BOUND_S * 1000)
        after = visit_every_page(visitor, app_server, wait_for_app, address)

        figure("second visitor while Kkma chews on 300 × 하 (s to idle): "
               + ", ".join(f"{name} {s:.1f}" for name, s in during_kkma.items())
               + "; after both attacks: " + ", ".join(f"{name} {s:.1f}" for name, s in after.items()))
        # Kiwi keeps a URL as one token (W_URL): its chip shows it as text, not as a link.
        visitor.goto(f"{app_server}/tagger?engine=kiwi&text={quote('주소는 https://evil.example/login 와 www.evil.example')}")
        expect(visitor.locator('[data-testid="stText"]').first).to_contain_text("evil", timeout=30_000)
        expect(visitor.get_by_text("https://evil.example/login").first).to_be_visible()
        assert visitor.locator('a[href*="evil.example"]').count() == 0, "a URL token became a link in the chips"

        # The planted name, picked in the library, heads the Corpora page as the text it is.
        from namuweb.corpora import corpus
        row = [c.name for c in corpus.list_corpora()].index(planted_name)
        open_from_sidebar(visitor, "corpora", wait_for_app)
        grid = visitor.locator('[data-testid="stDataFrame"]').first
        box = grid.bounding_box()
        visitor.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)  # the row's selection box
        wait_for_app(visitor)
        heading = visitor.get_by_role("heading", name=re.compile("로그인하여 보기"))
        expect(heading).to_be_visible()
        assert heading.inner_text().replace("\u2060", "") == planted_name  # the words joined so nothing autolinks
        leaks = visitor.locator(f'a[href*="{address}"], img[src*="{address}"]')
        assert leaks.count() == 0, [leak.evaluate("e => e.outerHTML.slice(0, 400)")
                                    for leak in leaks.all()]
        assert requests == [], f"the page made the browser fetch from the planted address: {requests}"
    finally:
        for context in contexts:
            context.close()
