"""Fetching one file over HTTP(S) for the corpus library, safely: a URL a visitor types is hostile.

* Only ``http`` and ``https``.  Every address a host name resolves to must be a public one: no
  loopback, private, link-local, multicast or reserved address (server-side request forgery), and the
  connection goes to the address that was checked, so a second DNS answer cannot swap it (rebinding).
  ``NAMUWEB_ALLOW_LOCAL_URLS=1`` lets local and private addresses through, for tests and private mirrors.
* Redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop checked like the first;
  a hop seen before is a loop.
* Time limits: a connection or a read that stalls for ``NAMUWEB_DOWNLOAD_TIMEOUT_S`` ends the transfer,
  and so does one slower than ``NAMUWEB_DOWNLOAD_MIN_RATE`` bytes/s over a window of
  ``NAMUWEB_DOWNLOAD_RATE_WINDOW_S``.
* Size: never more than the caller's limit, never more than the server declared, never fewer.
* An HTML page where data was expected (a login wall, an error page served with 200) is refused.
* A partial file resumes with an HTTP range where the server allows it (``If-Range`` guards against a
  file that changed meanwhile); otherwise it starts again.

Standard library only (``http.client``): the checks need the socket, which higher-level clients hide.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlsplit

from namuweb import config, storage

ALLOW_LOCAL_ENV = "NAMUWEB_ALLOW_LOCAL_URLS"
TIMEOUT_ENV = "NAMUWEB_DOWNLOAD_TIMEOUT_S"
MIN_RATE_ENV = "NAMUWEB_DOWNLOAD_MIN_RATE"
RATE_WINDOW_ENV = "NAMUWEB_DOWNLOAD_RATE_WINDOW_S"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MIN_RATE = 2_000.0       # bytes/s: below this for a whole window, the transfer is given up
DEFAULT_RATE_WINDOW_S = 60.0
MAX_REDIRECTS = 5
MAX_URL_CHARS = 2_000
CHUNK = 1 << 16
USER_AGENT = "namuweb (corpus library; +https://github.com/)"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


class FetchError(ValueError):
    """A source that cannot be fetched; the message is one line for the visitor."""


def _number_env(name: str, default: float) -> float:
    try:
        return config.positive_number(name, default)
    except ValueError as problem:
        raise FetchError(str(problem)) from None


def local_urls_allowed() -> bool:
    return os.environ.get(ALLOW_LOCAL_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def shown(url: str, limit: int = 80) -> str:
    """A URL for a message: cut, and never with its credentials."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        url = url.replace(parts.netloc, parts.hostname or "", 1)
    return url if len(url) <= limit else url[: limit - 1] + "…"


def check_url(url: str) -> str:
    """``url`` if its form is acceptable (http/https, a host, no credentials, not over-long), else a FetchError.

    Addresses are checked when connecting (:func:`_addresses`), because a name resolves only then."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("give an http:// or https:// address")
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise FetchError(f"that address is {len(url):,} characters long; at most {MAX_URL_CHARS:,} are accepted")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise FetchError("an address cannot contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchError(f"{shown(url)} is not a valid address: {error}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"only http:// and https:// addresses can be fetched, not {parts.scheme or 'a bare path'}:"
                         if parts.scheme else "only http:// and https:// addresses can be fetched")
    if not parts.hostname:
        raise FetchError(f"{shown(url)} names no host")
    if parts.username is not None or parts.password is not None:
        raise FetchError("addresses with a user name or password are not fetched")
    if port == 0:
        raise FetchError(f"{shown(url)} names port 0")
    return url


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not a public one (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for test, why in ((address.is_unspecified, "an unspecified"), (address.is_loopback, "a loopback"),
                      (address.is_link_local, "a link-local"), (address.is_private, "a private"),
                      (address.is_multicast, "a multicast"), (address.is_reserved, "a reserved"),
                      (not address.is_global, "a non-public")):
        if test:
            return why
    return None


def _addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, all of them public (unless local URLs are allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"the host {host!r} could not be found ({error})") from None
    found = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        why = _forbidden(address)
        if why and not local_urls_allowed():
            raise FetchError(f"{host} is {why} address ({address}): only public addresses are fetched")
        if str(address) not in found:
            found.append(str(address))
    if not found:
        raise FetchError(f"the host {host!r} could not be found")
    return found


class _PinnedHTTP(http.client.HTTPConnection):
    """A connection to the one address that was checked, whatever DNS says next."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Response:
    """An open response after redirects: the final URL, its status and headers, and the body to read."""

    url: str
    status: int
    headers: http.client.HTTPMessage
    body: http.client.HTTPResponse
    connection: http.client.HTTPConnection

    def close(self) -> None:
        self.body.close()
        self.connection.close()

    @property
    def length(self) -> int | None:
        value = self.headers.get("Content-Length")
        try:
            return int(value) if value is not None and int(value) >= 0 else None
        except ValueError:
            return None


def open_url(url: str, headers: dict | None = None, timeout: float | None = None) -> Response:
    """GET ``url`` (checked, redirects followed and checked); a 2xx response, else a FetchError."""
    timeout = timeout or _number_env(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)
    seen = []
    current = check_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        if current in seen:
            raise FetchError(f"{shown(url)} redirects in a loop (back to {shown(current)})")
        seen.append(current)
        parts = urlsplit(current)
        https = parts.scheme.lower() == "https"
        port = parts.port or (443 if https else 80)
        address = _addresses(parts.hostname, port)[0]
        connection = (_PinnedHTTPS if https else _PinnedHTTP)(parts.hostname, port, address, timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                                                       **(headers or {})})
            body = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise FetchError(f"{shown(current)} could not be reached: {_reason(error)}") from None
        if body.status in (301, 302, 303, 307, 308):
            location = body.getheader("Location")
            body.close()
            connection.close()
            if not location:
                raise FetchError(f"{shown(current)} redirects without saying where to")
            current = check_url(urljoin(current, location))
            continue
        if not 200 <= body.status < 300 and body.status != 416:
            body.close()
            connection.close()
            raise FetchError(f"{shown(current)} answered {body.status} {body.reason or ''}".rstrip())
        return Response(current, body.status, body.headers, body, connection)
    raise FetchError(f"{shown(url)} redirects more than {MAX_REDIRECTS} times")


def _reason(error: BaseException) -> str:
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"no answer within {_number_env(TIMEOUT_ENV, DEFAULT_TIMEOUT_S):g} s"
    return str(error) or type(error).__name__


@dataclass
class Fetched:
    """A file fetched whole: where it is, how large, its SHA-256, and whether a range request resumed it."""

    path: Path
    size: int
    sha256: str
    resumed_from: int = 0
    final_url: str = ""
    content_type: str = ""


def looks_like_html(start: bytes) -> bool:
    head = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_STARTS)


def fetch(url: str, target: Path, *, limit: int, expected_size: int | None = None,
          expected_sha256: str | None = None, progress: Callable[[int, int | None], None] | None = None,
          should_stop: Callable[[], bool] = lambda: False) -> Fetched | None:
    """Download ``url`` to ``target``, resuming ``target.part`` where the server allows ranges.

    Returns None when ``should_stop()`` asked to stop (the part file stays, for a resume); raises a
    FetchError for a bad source and removes what it wrote.  ``progress(done, total)`` in bytes."""
    part, state_file = target.with_name(target.name + ".part"), target.with_name(target.name + ".part.json")
    min_rate = _number_env(MIN_RATE_ENV, DEFAULT_MIN_RATE)
    window = _number_env(RATE_WINDOW_ENV, DEFAULT_RATE_WINDOW_S)
    have = part.stat().st_size if part.exists() else 0
    saved = _read_state(state_file) if have else {}
    headers = {}
    if have and saved.get("url") == url and (saved.get("etag") or saved.get("last_modified")):
        headers = {"Range": f"bytes={have}-", "If-Range": saved.get("etag") or saved["last_modified"]}
    response = open_url(url, headers)
    try:
        resumed = 0
        if response.status == 206 and headers:
            start, total = _content_range(response.headers.get("Content-Range"))
            if start != have:
                raise FetchError(f"{shown(url)} answered a range request with the wrong range")
            resumed = have
            declared = total if total is not None else (have + response.length if response.length is not None else None)
        elif response.status == 416:
            raise FetchError(f"{shown(url)} refused to resume; start the download again")
        else:  # the whole file (the server ignores ranges, or the file changed): from the start
            have, declared = 0, response.length
        if expected_size is not None and declared is not None and declared != expected_size:
            raise FetchError(f"{shown(url)} is {declared:,} bytes, but {expected_size:,} were expected: "
                             "not the file this source names")
        if declared is not None and declared > limit:
            raise FetchError(f"{shown(url)} is {size_text(declared)}, over the limit of {size_text(limit)}")
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type in ("text/html", "application/xhtml+xml") and not resumed:
            raise FetchError(f"{shown(url)} sent a web page (HTML), not data: check the address")
        _write_state(state_file, {"url": url, "etag": response.headers.get("ETag"),
                                  "last_modified": response.headers.get("Last-Modified")})
        _copy(response, part, have=have, declared=declared, limit=limit, url=url, min_rate=min_rate,
              window=window, progress=progress, should_stop=should_stop, check_html=not resumed)
        if should_stop() and (declared is None or part.stat().st_size < declared):
            return None
    except FetchError:
        part.unlink(missing_ok=True)
        state_file.unlink(missing_ok=True)
        raise
    except OSError:
        if not should_stop():
            part.unlink(missing_ok=True)
            state_file.unlink(missing_ok=True)
        raise
    finally:
        response.close()
    size = part.stat().st_size
    digest = sha256_of(part)
    problem = None
    if expected_size is not None and size != expected_size:
        problem = f"{shown(url)} gave {size:,} bytes, but {expected_size:,} were expected"
    elif expected_sha256 and digest != expected_sha256.lower():
        problem = f"{shown(url)} does not match its checksum (SHA-256 {digest[:12]}…, expected {expected_sha256[:12]}…)"
    if problem:
        part.unlink(missing_ok=True)
        state_file.unlink(missing_ok=True)
        raise FetchError(problem)
    storage.move_into_place(part, target)
    state_file.unlink(missing_ok=True)
    return Fetched(target, size, digest, resumed, response.url, content_type)


def _copy(response: Response, part: Path, *, have: int, declared: int | None, limit: int, url: str,
          min_rate: float, window: float, progress, should_stop, check_html: bool) -> None:
    done = have
    marks = [(time.monotonic(), done)]  # (time, bytes) at least a window apart: the rate's base
    with open(part, "ab" if have else "wb") as out:
        first = check_html
        while not should_stop():
            try:
                block = response.body.read1(CHUNK)  # what has arrived: a slow server is seen as slow
            except (OSError, http.client.HTTPException) as error:
                raise FetchError(f"{shown(url)} broke off after {done:,} bytes: {_reason(error)}") from None
            if not block:
                break
            if first:
                first = False
                if looks_like_html(block[:512]):
                    raise FetchError(f"{shown(url)} sent a web page (HTML), not data: check the address")
            done += len(block)
            if declared is not None and done > declared:
                raise FetchError(f"{shown(url)} sent more bytes than the {declared:,} it declared")
            if done > limit:
                raise FetchError(f"{shown(url)} is larger than the limit of {size_text(limit)}")
            out.write(block)
            now = time.monotonic()
            if now - marks[0][0] >= window:
                rate = (done - marks[0][1]) / (now - marks[0][0])
                if rate < min_rate:
                    raise FetchError(f"{shown(url)} is too slow ({rate / 1000:,.1f} kB/s over {window:g} s; "
                                     f"at least {min_rate / 1000:g} kB/s is needed): try again later")
                marks = [m for m in marks if now - m[0] < window] or [(now, done)]
            if now - marks[-1][0] >= 1:
                marks.append((now, done))
            if progress:
                progress(done, declared)
    if not should_stop() and declared is not None and done < declared:
        raise FetchError(f"{shown(url)} broke off after {done:,} of {declared:,} bytes (truncated)")


def size_text(size: float) -> str:
    """``1.5 MB``, ``120 kB``, ``900 bytes``."""
    if size >= 2**20:
        return f"{size / 2**20:,.1f} MB".replace(".0 MB", " MB")
    return f"{size / 1024:,.0f} kB" if size >= 1024 else f"{size:,.0f} bytes"


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/200`` → (100, 200); the total is None when the server says ``*``."""
    try:
        unit, _, rest = (value or "").partition(" ")
        span, _, total = rest.partition("/")
        return int(span.split("-")[0]), (None if total.strip() == "*" else int(total))
    except ValueError:
        return None, None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _read_state(path: Path) -> dict:
    try:
        data = storage.read_json(path)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_state(path: Path, data: dict) -> None:
    storage.write_json(path, data)
