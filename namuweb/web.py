"""What the app's own server adds in front of Streamlit's (pure ASGI middleware, no Streamlit import).

:class:`BundleFromMemory` answers requests for the front end's hashed bundle (``/static/…``: the
JavaScript, fonts and icons every new visitor's browser fetches, about 120 files and 6 MB a page)
from bytes read once at start.  Streamlit serves each of them from disk through several layers of
middleware and a thread hop per read, which made serving a page's front end most of the server's
CPU per view and kept every visitor's page waiting for the interpreter meanwhile.  Only files that
exist in the bundle folder at start are answered here, by exact path; everything else goes on to
Streamlit unchanged.

:class:`VisitorCookie` gives each browser a random id in a cookie (``namuweb_visitor``, HttpOnly),
so that what a visitor may do at once (a demo's one job) is counted per browser: a Streamlit
session is per tab and per reload, and a reload must not give anyone more.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
from http.cookies import SimpleCookie
from pathlib import Path

VISITOR_COOKIE = "namuweb_visitor"
BUNDLE_PREFIX = "/static/"
IMMUTABLE = b"public, immutable, max-age=31536000"  # the bundle's file names carry their content's hash
MIME = {".js": "application/javascript", ".mjs": "application/javascript", ".css": "text/css",
        ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".svg": "image/svg+xml",
        ".json": "application/json", ".wasm": "application/wasm", ".map": "application/json"}


class BundleFromMemory:
    """Serve ``directory`` (Streamlit's hashed bundle) at ``/static/`` from memory."""

    def __init__(self, app, directory: str | Path, max_bytes: int = 64 * 2**20):
        self.app = app
        self.files: dict[str, tuple[bytes, bytes]] = {}
        root = Path(directory)
        total = 0
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                size = path.stat().st_size
                if total + size > max_bytes:
                    break
                total += size
                kind = MIME.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self.files[BUNDLE_PREFIX + path.relative_to(root).as_posix()] = (path.read_bytes(), kind.encode())

    async def __call__(self, scope, receive, send):
        found = (self.files.get(scope["path"]) if scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
                 else None)
        if found is None:
            await self.app(scope, receive, send)
            return
        body, kind = found
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"cache-control", IMMUTABLE), (b"x-content-type-options", b"nosniff")]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def visitor_from_cookie_header(header: str | None) -> str | None:
    """The visitor id in a ``Cookie`` header, if it carries a well-formed one."""
    if not header:
        return None
    cookie = SimpleCookie()
    try:
        cookie.load(header)
    except Exception:  # noqa: BLE001 -- a malformed header is no visitor id
        return None
    value = cookie.get(VISITOR_COOKIE)
    return visitor_id(value.value) if value is not None else None


def visitor_id(value: str | None) -> str | None:
    """``value`` if it is an id this server could have given (32 hex digits), else None."""
    if not isinstance(value, str) or len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        return None
    return value


class VisitorCookie:
    """Set ``namuweb_visitor`` on any page response to a browser that does not carry one yet."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(BUNDLE_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
        if visitor_from_cookie_header(headers.get(b"cookie", b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        new_id = secrets.token_hex(16)

        async def with_cookie(message):
            if message["type"] == "http.response.start":
                cookie = f"{VISITOR_COOKIE}={new_id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
                message = dict(message, headers=[*message.get("headers", []), (b"set-cookie", cookie.encode())])
            await send(message)
        await self.app(scope, receive, with_cookie)


def visitor_key(visitor_id: str) -> str:
    """What a job's status records of its visitor: a digest, not the cookie itself."""
    return hashlib.sha256(visitor_id.encode()).hexdigest()[:20]
