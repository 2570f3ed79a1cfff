"""The app's own server in front of Streamlit's: the front end's bundle from memory, a visitor cookie."""

import asyncio
import threading

from namuweb import web


def call(app, path: str, method: str = "GET", cookie: str | None = None) -> tuple[int, dict, bytes]:
    """One request through an ASGI app; (status, headers, body)."""
    scope = {"type": "http", "method": method, "path": path,
             "headers": [(b"cookie", cookie.encode())] if cookie else []}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)
    # A thread of its own: the test process may have an event loop running already (Playwright's).
    thread = threading.Thread(target=asyncio.run, args=(app(scope, receive, send),))
    thread.start()
    thread.join()
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {}
    for key, value in start["headers"]:
        headers.setdefault(key.decode(), []).append(value.decode())
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def streamlit_stand_in(scope, receive, send):
    await send({"type": "http.response.start", "status": 299, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": f"streamlit {scope['path']}".encode()})


def test_the_bundle_is_answered_from_memory_with_its_type_and_a_cache_header(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "main.abc123.js").write_text("console.log('한국')", encoding="utf-8")
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "font.woff2").write_bytes(b"\x00font")
    app = web.BundleFromMemory(streamlit_stand_in, tmp_path)
    (tmp_path / "js" / "main.abc123.js").write_text("changed on disk", encoding="utf-8")  # read once, at start
    status, headers, body = call(app, "/static/js/main.abc123.js")
    assert (status, body.decode()) == (200, "console.log('한국')")
    assert headers["content-type"] == ["application/javascript"] and "immutable" in headers["cache-control"][0]
    assert headers["content-length"] == [str(len(body))]
    assert call(app, "/static/media/font.woff2")[1]["content-type"] == ["font/woff2"]
    assert call(app, "/static/js/main.abc123.js", method="HEAD")[2] == b""


def test_anything_not_in_the_bundle_goes_on_to_streamlit_unchanged(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "main.js").write_text("x")
    (tmp_path.parent / "secret.txt").write_text("private")
    app = web.BundleFromMemory(streamlit_stand_in, tmp_path)
    for path in ("/", "/generate", "/static/js/other.js", "/static/../secret.txt", "/static/js/../../secret.txt",
                 "/static/js/main.js/", "/_stcore/health"):
        status, _, body = call(app, path)
        assert (status, body.decode()) == (299, f"streamlit {path}"), path
    assert call(app, "/static/js/main.js", method="POST")[0] == 299


def test_a_new_browser_gets_a_visitor_cookie_once_and_keeps_it(tmp_path):
    app = web.VisitorCookie(streamlit_stand_in)
    _, headers, _ = call(app, "/")
    cookie = headers["set-cookie"][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    visitor = web.visitor_from_cookie_header(cookie.split(";")[0])
    assert visitor is not None and len(visitor) == 32
    again = call(app, "/tagger", cookie=f"other=1; {web.VISITOR_COOKIE}={visitor}")
    assert "set-cookie" not in again[1], "a browser that has one keeps it"
    assert "set-cookie" in call(web.VisitorCookie(streamlit_stand_in), "/")[1]
    other = web.visitor_from_cookie_header(call(app, "/")[1]["set-cookie"][0].split(";")[0])
    assert other != visitor, "each browser its own"


def test_a_forged_or_malformed_visitor_cookie_is_no_visitor():
    for header in (None, "", f"{web.VISITOR_COOKIE}=short", f"{web.VISITOR_COOKIE}={'Z' * 32}",
                   f"{web.VISITOR_COOKIE}=\"{'a' * 31}\\\"\"", "garbage;;;==="):
        assert web.visitor_from_cookie_header(header) is None, header
    assert web.visitor_from_cookie_header(f"{web.VISITOR_COOKIE}={'ab' * 16}") == "ab" * 16


def test_a_live_part_of_a_page_runs_for_its_visitor_even_when_it_reruns_alone():
    """A fragment's own rerun skips the app script that names the visitor: the fragment names it again, so a
    job started or a sampler asked from inside one still counts for that visitor."""
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from app_pages._widgets import fragment
        from namuweb import jobs

        @fragment("a live part")
        def live():
            st.text(f"owner {jobs.current_owner()}")
        live()
    at = AppTest.from_function(page).run()
    assert not at.exception
    owner = at.text[0].value.removeprefix("owner ")
    assert owner.startswith("session:") and len(owner) > len("session:"), owner  # AppTest has no cookie or address
