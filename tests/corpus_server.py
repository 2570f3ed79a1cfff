"""A local HTTP server on 127.0.0.1 for the download tests, and a mirror of the catalogue in each source's
real format with texts written for these tests (no test needs the internet).

The server serves a folder with HTTP ranges, ETags and ``If-Range`` as GitHub's file servers do, and named
bad behaviours: 404, a redirect loop, a redirect elsewhere, an HTML page, a truncated or a slow body, a body
over its declared length, a file that ignores ranges, and a throttled copy of every file (so a test can stop
a download part-way).  ``server.requests`` logs ``(path, Range header)`` of every request.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from namuweb.corpora import catalogue

NOVEL_PARAGRAPHS = [
    "새벽 장터에는 안개가 낮게 깔려 있었다. 순이는 바구니를 고쳐 들고 다리를 건넜다.",
    "\"오늘은 비가 오려나 보다.\" 아버지가 하늘을 올려다보며 중얼거렸다.",
    "그날 저녁 마을 어귀의 느티나무 아래에서 아이들이 늦도록 놀았다.",
]
VERSES = ["처음에 빛이 있으니 들판이 밝았더라", "물가의 나무가 열매를 맺으니 그 잎도 시들지 아니하리로다",
          "바람이 불고 물결이 일어도 배는 나아가니라"]
REVIEWS = ["배우들 연기가 정말 좋았어요 두 번 봤습니다", "스토리가 너무 뻔해서 중간에 졸았음..",
           "OST 때문에 계속 생각나는 영화ㅎㅎ"]
WIKI_PAGES = [("고양이 섬", ["개요", "역사"], "고양이가 사람보다 많이 사는 작은 섬이다."),
              ("우주 정거장", ["구조"], "지구 궤도를 도는 유인 시설이다. ( 宇宙 ) 라고도 쓴다.")]


def wikitext() -> str:
    """lovit's wikitext layout: `` = title =`` then `` = = section = =`` headings, a blank line after each."""
    parts = []
    for title, sections, body in WIKI_PAGES:
        parts.append(f" = {title} =\n\n")
        for section in sections:
            parts.append(f" = = {section} = =\n\n{body}\n")
    return "\n".join(parts)


def zipped(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    return buffer.getvalue()


def write_mirror(root: Path) -> Path:
    """Every catalogue entry's files as ``root/<entry>/<file name>``, in the source's format."""
    for entry in catalogue.entries():
        folder = root / entry.name
        folder.mkdir(parents=True, exist_ok=True)
        for number, file in enumerate(entry.files):
            if entry.format == "jsonl-text":
                lines = [json.dumps({"doc_id": f"{number}_{i}", "text": "\n".join(NOVEL_PARAGRAPHS[i:] + [f"{number}번째 이야기."])},
                                    ensure_ascii=False) for i in range(2)]
                data = ("\n".join(lines) + "\n").encode()
            elif entry.format == "bible-json":
                books = [{"book": book, "chapters": [{"chapter": 1, "verses": [
                    {"verse": v + 1, "text": text} for v, text in enumerate(VERSES)]}]} for book in ("Genesis", "Ruth")]
                data = json.dumps(books, ensure_ascii=False, indent=2).encode()
            elif entry.format == "nsmc-tsv":
                data = ("id\tdocument\tlabel\n" + "".join(f"{100 + i}\t{r}\t{i % 2}\n" for i, r in enumerate(REVIEWS))
                        + "999\t\t0\n").encode()
            elif entry.format == "namuwikitext":
                data = zipped(file.member, wikitext())
            else:
                raise AssertionError(f"no fixture for the format {entry.format}")
            (folder / file.name).write_bytes(data)
    return root


class CorpusServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.throttle_s = 0.02          # per 16 kB under /throttled/
        self.gate = threading.Semaphore(0)  # /gated/ bodies: each 16 kB after the first waits for a release
        self.ungated = True                 # … unless this is True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.ungated = True
        self.gate.release(1000)
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: CorpusServer

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self.server.requests.append((self.path, self.headers.get("Range")))
        path = self.path.split("?")[0]
        special = {
            "/missing.txt": lambda: self.send_error(404, "Not Found"),
            "/loop/a": lambda: self._redirect("/loop/b"),
            "/loop/b": lambda: self._redirect("/loop/a"),
            "/to-file": lambda: self._redirect("file:///etc/passwd"),
            "/to-private": lambda: self._redirect("http://10.1.2.3/secret.txt"),
            "/to-text": lambda: self._redirect("/text.txt"),
            "/page.txt": lambda: self._body(b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html"),
            "/disguised.txt": lambda: self._body(b"  <html><head><title>404</title></head></html>", "text/plain"),
            "/text.txt": lambda: self._body("첫 줄이다\n둘째 줄이다\n".encode(), "text/plain; charset=utf-8"),
            "/truncated.txt": self._truncated,
            "/slow.txt": self._slow,
            "/overlong.txt": self._overlong,
            "/endless.txt": self._endless,
        }
        if path in special:
            return special[path]()
        for prefix in ("/throttled/", "/gated/", "/no-ranges/", "/files/"):
            if path.startswith(prefix):
                return self._file(path[len(prefix):], prefix)
        self.send_error(404, "Not Found")

    def _redirect(self, where: str):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self, data: bytes, content_type: str = "application/octet-stream"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _truncated(self):
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write("잘린 글\n".encode() * 100)
        self.wfile.flush()
        self.close_connection = True

    def _slow(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        for _ in range(400):
            try:
                self.wfile.write(b"slow\n")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    def _overlong(self):  # a catalogue-sized lie: declares one size, is another
        data = "늘어난 글\n".encode() * 1000
        self._body(data, "text/plain")

    def _endless(self):  # no declared length: only the limit stops it
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        block = "끝없는 글\n".encode() * 1000
        try:
            for _ in range(10_000):
                self.wfile.write(block)
        except OSError:
            return
        self.close_connection = True

    def _file(self, relative: str, prefix: str):
        target = (self.server.root / relative).resolve()
        if self.server.root.resolve() not in target.parents or not target.is_file():
            return self.send_error(404, "Not Found")
        data = target.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        start = 0
        wanted = self.headers.get("Range")
        if prefix != "/no-ranges/" and wanted and wanted.startswith("bytes=") and \
                self.headers.get("If-Range") in (None, etag):
            start = int(wanted[len("bytes="):].split("-")[0])
        if start:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        if prefix != "/no-ranges/":
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        body = data[start:]
        try:
            for offset in range(0, len(body), 16384):
                if offset and prefix == "/gated/" and not self.server.ungated:
                    self.server.gate.acquire(timeout=30)
                self.wfile.write(body[offset:offset + 16384])
                self.wfile.flush()
                if prefix == "/throttled/":
                    time.sleep(self.server.throttle_s)
        except OSError:
            return
