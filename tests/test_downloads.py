"""The corpus catalogue and downloads: every entry through a local mirror in its source's real format, every
bad source refused with one line and nothing left behind, stop and resume with HTTP ranges. All traffic
goes to a server on 127.0.0.1 (tests/corpus_server.py)."""

import errno
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from namuweb import config, jobs
from namuweb.corpora import catalogue, corpus, downloads, fetch

from corpus_server import CorpusServer, VERSES, REVIEWS, NOVEL_PARAGRAPHS, write_mirror
from library_texts import add_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mirror(tmp_path) -> Path:
    return write_mirror(tmp_path / "mirror")


@pytest.fixture
def server(mirror, monkeypatch):
    monkeypatch.setenv("NAMUWEB_ALLOW_LOCAL_URLS", "1")
    with CorpusServer(mirror) as running:
        yield running


def download(source: str, **kwargs) -> corpus.Corpus:
    """A download job run here, in the foreground, as `python -m namuweb corpora get` runs it."""
    job_dir = downloads.create(source, **kwargs)
    jobs.run_here(downloads.DOWNLOAD, job_dir)
    return corpus.get_corpus(jobs.read_status(job_dir).result["corpus"])


def refused(source: str, match: str) -> Path:
    """A download that must fail with ``match`` in its message and leave no file and no corpus behind."""
    before = [c.id for c in corpus.list_corpora()]
    job_dir = downloads.create(source)
    with pytest.raises(jobs.JobError, match=match):
        jobs.run_here(downloads.DOWNLOAD, job_dir)
    assert sorted(p.name for p in job_dir.iterdir()) == ["job.json", "status.json"]
    status = jobs.read_status(job_dir)
    assert status.state == "failed" and re.search(match, status.error), "the reason is kept for the page"
    assert [c.id for c in corpus.list_corpora()] == before
    return job_dir


# --- the catalogue -------------------------------------------------------------------------------------

def test_every_entry_names_its_licence_attribution_and_real_location():
    names = [e.name for e in catalogue.entries()]
    assert {"koconovel", "bible-krv-1961", "nsmc", "namuwikitext-dev", "kowikitext-dev"} <= set(names)
    assert len(names) == len(set(names))
    for entry in catalogue.entries():
        assert entry.licence and entry.attribution and entry.description and entry.format in catalogue.CONVERTERS
        for file in entry.files:
            assert file.url.startswith("https://") and fetch.check_url(file.url) == file.url
    assert catalogue.get("namuwikitext-dev").non_commercial
    assert "non-commercial" in catalogue.get("namuwikitext-dev").licence_line
    assert len(catalogue.get("koconovel").files) == 50


@pytest.mark.parametrize("entry, expected", [
    ("koconovel", NOVEL_PARAGRAPHS[0]),
    ("bible-krv-1961", VERSES[1]),
    ("namuwikitext-dev", "고양이가 사람보다 많이 사는 작은 섬이다."),
    ("kowikitext-dev", "우주 정거장"),
])
def test_a_catalogue_entry_arrives_as_plain_text_with_its_licence(server, monkeypatch, entry, expected):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", f"{server.url}/files")
    found = download(entry)
    listed = catalogue.get(entry)
    lines = found.read_text().splitlines()
    assert expected in lines, lines[:5]
    assert not any(line.lstrip().startswith(("=", "{", "[")) for line in lines), "markup or JSON left over"
    assert (found.source, found.licence, found.attribution) == ("download", listed.licence_line, listed.attribution)
    assert found.source_url == listed.homepage and found.chars == len(found.read_text())
    assert all(path.startswith(f"/files/{entry}/") for path, _ in server.requests)


def test_the_bible_keeps_every_verse_in_order_and_unaltered(server, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", f"{server.url}/files")
    assert download("bible-krv-1961").read_text() == "".join(f"{v}\n" for v in VERSES) * 2  # two books


def test_novels_keep_one_paragraph_a_line_from_all_fifty_files(server, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", f"{server.url}/files")
    lines = download("koconovel").read_text().splitlines()
    assert len([path for path, _ in server.requests]) == 50
    assert "0번째 이야기." in lines and "49번째 이야기." in lines
    assert lines.count(NOVEL_PARAGRAPHS[2]) == 100  # two records a file, each ending with the last paragraph


def test_a_mirror_folder_serves_the_catalogue_without_a_network(mirror, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", str(mirror))
    found = download("namuwikitext-dev")
    assert "고양이 섬" in found.read_text().splitlines()


def test_movie_reviews_that_do_not_match_the_pinned_size_are_refused(server, monkeypatch):
    # The mirror's reviews are this test's own, so they cannot match NSMC's published size and checksum.
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", f"{server.url}/files")
    refused("nsmc", "14,628,807 were expected")


def test_the_reviews_converter_takes_the_document_column_and_skips_empty_reviews(mirror, tmp_path):
    out = tmp_path / "reviews.txt"
    with open(out, "w", encoding="utf-8") as f:
        list(catalogue.CONVERTERS["nsmc-tsv"]([mirror / "nsmc" / "ratings_train.txt"], f, lambda: False))
    assert out.read_text(encoding="utf-8").splitlines() == REVIEWS


def test_a_pinned_checksum_is_checked(server, mirror, monkeypatch):
    text = (mirror / "nsmc" / "ratings_test.txt").read_bytes()
    good = hashlib.sha256(text).hexdigest()
    found = download(f"{server.url}/files/nsmc/ratings_test.txt#sha256={good}")
    assert "id\tdocument\tlabel" in found.read_text()
    refused(f"{server.url}/files/nsmc/ratings_test.txt#sha256={'0' * 64}", "does not match its checksum")
    with pytest.raises(downloads.DownloadError, match="64 hexadecimal"):
        downloads.create(f"{server.url}/files/nsmc/ratings_test.txt#sha256=abc")


# --- any URL -------------------------------------------------------------------------------------------

def test_a_url_of_a_text_file_becomes_a_corpus_named_after_it(server):
    found = download(f"{server.url}/text.txt")
    assert found.read_text() == "첫 줄이다\n둘째 줄이다\n" and found.name == "text.txt"
    assert found.source == "download" and found.source_url == f"{server.url}/text.txt"


def test_a_redirect_is_followed_and_each_hop_checked(server):
    assert download(f"{server.url}/to-text").read_text().startswith("첫 줄이다")


def test_a_zipped_url_is_unpacked_as_an_upload_would_be(server, mirror):
    (mirror / "bundle.zip").write_bytes(_zip({"notes/메모.txt": "압축된 글"}))
    assert download(f"{server.url}/files/bundle.zip").read_text() == "압축된 글"


def test_a_namuwiki_dump_url_is_imported(server, mirror):
    dump = [{"namespace": "0", "title": "시험 문서", "text": "'''굵은''' [[링크|글자]]가 있는 문서다. " * 5}]
    (mirror / "dump.json").write_text(json.dumps(dump, ensure_ascii=False), encoding="utf-8")
    found = download(f"{server.url}/files/dump.json")
    assert found.read_text().startswith("굵은 글자가 있는 문서다.") and found.source_url.endswith("/dump.json")


def _zip(members: dict, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# --- bad sources: one line, nothing left -----------------------------------------------------------------

@pytest.mark.parametrize("path, match", [
    ("/missing.txt", "answered 404"),
    ("/loop/a", "redirects in a loop"),
    ("/to-file", "only http:// and https://"),
    ("/page.txt", "sent a web page"),
    ("/disguised.txt", "sent a web page"),
    ("/truncated.txt", "broke off after 1,100 of 100,000 bytes"),
])
def test_a_bad_source_is_refused_with_one_line(server, path, match):
    refused(f"{server.url}{path}", match)


def test_a_stalled_or_slow_transfer_is_given_up(server, monkeypatch):
    monkeypatch.setenv("NAMUWEB_DOWNLOAD_RATE_WINDOW_S", "1")
    monkeypatch.setenv("NAMUWEB_DOWNLOAD_MIN_RATE", "10000")
    refused(f"{server.url}/slow.txt", "too slow")
    monkeypatch.setenv("NAMUWEB_DOWNLOAD_TIMEOUT_S", "0.5")
    monkeypatch.setenv("NAMUWEB_DOWNLOAD_RATE_WINDOW_S", "600")
    server.ungated = False  # the body stops after its first 16 kB
    (server.root / "long.txt").write_bytes("멈춘 글\n".encode() * 20_000)
    refused(f"{server.url}/gated/long.txt", "no answer within 0.5 s")


def test_more_bytes_than_allowed_are_refused_declared_or_not(server, mirror, monkeypatch):
    monkeypatch.setenv("NAMUWEB_MAX_DOWNLOAD_MB", "0.05")
    (mirror / "large.txt").write_bytes("큰 글\n".encode() * 20_000)
    refused(f"{server.url}/files/large.txt", "over the limit")       # declared: refused before reading
    refused(f"{server.url}/endless.txt", "larger than the limit")   # undeclared: refused at the limit


def test_a_file_larger_than_its_catalogue_entry_says_is_refused(server, monkeypatch):
    entry = catalogue.CatalogueEntry("lying", "Lying", "d", "CC0", "a", "https://example.org", "text",
                                     (catalogue.SourceFile("https://example.org/x.txt", "x.txt", size=100),), 100, 100)
    monkeypatch.setattr(catalogue, "ENTRIES", (entry,))
    monkeypatch.setattr(catalogue, "location", lambda entry, file: f"{server.url}/overlong.txt")
    refused("lying", "but 100 were expected")


def test_a_zip_bomb_stops_at_its_cap(server, mirror):
    bomb = _zip({"bomb.txt": "0" * (50 * config.MB)})
    assert len(bomb) < config.MB
    (mirror / "bomb.zip").write_bytes(bomb)
    refused(f"{server.url}/files/bomb.zip", "larger than the limit")


def test_a_catalogue_zip_bomb_stops_at_its_ratio_cap(server, mirror, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", f"{server.url}/files")
    file = catalogue.get("namuwikitext-dev").files[0]
    (mirror / "namuwikitext-dev" / file.name).write_bytes(_zip({file.member: " = 제목 =\n" + "가" * (60 * config.MB)}))
    refused("namuwikitext-dev", "larger than the limit")


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(server, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(fetch, "_copy", full)
    refused(f"{server.url}/text.txt", "the disk is full")


@pytest.mark.parametrize("url, match", [
    ("file:///etc/passwd", "only http:// and https://"),
    ("ftp://example.org/x.txt", "only http:// and https://"),
    ("gopher://127.0.0.1:70/", "only http:// and https://"),
    ("http://", "names no host"),
    ("http://user:secret@example.org/x", "user name or password"),
    ("http://exa mple.org/x", "spaces or control characters"),
    ("https://example.org/" + "a" * 3000, "at most 2,000"),
])
def test_addresses_of_the_wrong_form_are_refused_before_any_job(url, match):
    with pytest.raises(fetch.FetchError, match=match):
        downloads.create(url)
    assert not downloads.FOLDERS.all()


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:9/x.txt", "loopback"),
    ("http://localhost:9/x.txt", "loopback"),
    ("http://[::1]:9/x.txt", "loopback"),
    ("http://10.0.0.8/x.txt", "private"),
    ("http://192.168.1.1/x.txt", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::ffff:127.0.0.1]/x.txt", "loopback"),
    ("http://0.0.0.0/x.txt", "unspecified"),
    ("http://224.0.0.1/x.txt", "multicast"),
])
def test_local_and_private_addresses_are_refused_unless_allowed(url, why):
    with pytest.raises(fetch.FetchError, match=f"{why} address"):
        fetch.open_url(url)


def test_a_redirect_to_a_private_address_is_refused(server, monkeypatch):
    # The test server itself is on loopback: let exactly that through, as if it were a public host.
    monkeypatch.delenv("NAMUWEB_ALLOW_LOCAL_URLS")
    real = fetch._forbidden
    monkeypatch.setattr(fetch, "_forbidden", lambda a: None if a == ipaddress.ip_address("127.0.0.1") else real(a))
    with pytest.raises(fetch.FetchError, match="10.1.2.3 is a private address"):
        fetch.open_url(f"{server.url}/to-private")


def test_the_connection_goes_to_the_address_that_was_checked(server, monkeypatch):
    """DNS rebinding: a name checked as one address must not be connected to as another."""
    real, lookups = fetch.socket.getaddrinfo, []
    answers = iter([[(2, 1, 6, "", ("127.0.0.1", 0))], [(2, 1, 6, "", ("10.9.9.9", 0))]])

    def resolve(host, *args, **kwargs):
        if host != "rebinding.test":
            return real(host, *args, **kwargs)  # the numeric address the connection is made to
        lookups.append(host)
        return next(answers)
    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolve)
    response = fetch.open_url(f"http://rebinding.test:{server.server_address[1]}/text.txt")
    assert response.connection.address == "127.0.0.1" and response.body.read().startswith("첫".encode())
    assert lookups == ["rebinding.test"]
    response.close()


# --- stop and resume ---------------------------------------------------------------------------------------

def test_a_stopped_transfer_resumes_with_a_range_request(server, mirror, tmp_path):
    data = os.urandom(300_000)
    (mirror / "big.bin").write_bytes(data)
    target = tmp_path / "big.bin"
    calls = []
    stopped = fetch.fetch(f"{server.url}/throttled/big.bin", target, limit=10**9,
                          progress=lambda done, total: calls.append(done), should_stop=lambda: len(calls) >= 3)
    part = target.with_name("big.bin.part")
    assert stopped is None and not target.exists() and 0 < part.stat().st_size < len(data)
    have = part.stat().st_size
    fetched = fetch.fetch(f"{server.url}/throttled/big.bin", target, limit=10**9)
    assert fetched.resumed_from == have and target.read_bytes() == data
    assert server.requests[-1] == ("/throttled/big.bin", f"bytes={have}-")


@pytest.mark.parametrize("changed", [False, True])
def test_a_server_without_ranges_or_a_changed_file_starts_again(server, mirror, tmp_path, changed):
    (mirror / "big.bin").write_bytes(os.urandom(200_000))
    target, calls = tmp_path / "big.bin", []
    prefix = "/throttled/" if changed else "/no-ranges/"
    fetch.fetch(f"{server.url}{prefix}big.bin", target, limit=10**9,
                progress=lambda done, total: calls.append(done), should_stop=lambda: len(calls) >= 2)
    if changed:
        (mirror / "big.bin").write_bytes(new := os.urandom(150_000))
    fetched = fetch.fetch(f"{server.url}{prefix}big.bin", target, limit=10**9)
    assert fetched.resumed_from == 0
    assert target.read_bytes() == (new if changed else (mirror / "big.bin").read_bytes())


@pytest.mark.usefixtures("kill_leftover_workers")
def test_a_download_job_stops_and_resumes_in_the_background(server, mirror, monkeypatch):
    """As on the Corpora page: a worker process reports bytes, speed and ETA; Stop keeps what arrived; Resume
    asks for the rest with a range and the corpus arrives with its licence."""
    entry = catalogue.get("namuwikitext-dev")
    member = entry.files[0].member
    text = "".join(f" = 문서 {i} =\n\n이 문서는 {i}번째 시험 문서이다. 내용이 이어진다.\n" for i in range(20_000))
    (mirror / entry.name / entry.files[0].name).write_bytes(_zip({member: text}, zipfile.ZIP_STORED))
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", f"{server.url}/gated")
    server.ungated = False  # one block, then one more each time the test lets one through
    job_dir = downloads.create(entry.name)
    jobs.start(downloads.DOWNLOAD, job_dir)
    status = _wait_for(job_dir, lambda s: s.progress.done > 0)
    assert status.progress.unit == "MB" and status.progress.total and status.state == "running"
    jobs.request_stop(job_dir)
    status = _wait_for(job_dir, lambda s: not s.active, tick=server.gate.release)  # it notices between blocks
    assert status.state == "stopped"
    server.ungated = True
    have = (job_dir / "files" / "file-000.part").stat().st_size
    assert have > 0
    jobs.start(downloads.DOWNLOAD, job_dir)
    status = jobs.wait(job_dir, timeout=120)
    assert status.state == "finished", jobs.log_tail(job_dir)
    assert (f"/gated/{entry.name}/{entry.files[0].name}", f"bytes={have}-") in server.requests
    found = corpus.get_corpus(jobs.read_status(job_dir).result["corpus"])
    assert found.licence == entry.licence_line and "문서 19999" in found.read_text()
    assert not (job_dir / "files").exists()


def _wait_for(job_dir, condition, timeout=60, tick=lambda: None):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.read_status(job_dir)
        if status is not None and condition(status):
            return status
        if status is not None and status.state in ("failed", "finished"):
            raise AssertionError(f"the job ended first: {status.state} {status.error}\n{jobs.log_tail(job_dir)}")
        tick()
        time.sleep(0.05)
    raise AssertionError(f"not reached in {timeout} s: {jobs.read_status(job_dir)}")


# --- demo mode, the command line and what travels with the text -------------------------------------------

def test_a_demo_downloads_only_catalogue_texts_within_its_limit(monkeypatch):
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    with pytest.raises(downloads.DownloadError, match="only the catalogue"):
        downloads.create("https://example.org/x.txt")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_DOWNLOAD_MB", "5")
    with pytest.raises(downloads.DownloadError, match="at most 5 MB"):
        downloads.create("nsmc")
    assert downloads.create("koconovel").is_dir()


def test_the_command_line_lists_the_catalogue_and_gets_an_entry(mirror, isolated_home):
    env = {**os.environ, "NAMUWEB_HOME": str(isolated_home), "NAMUWEB_CORPUS_MIRROR": str(mirror)}
    listing = subprocess.run([sys.executable, "-m", "namuweb", "corpora", "catalogue"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0
    for entry in catalogue.entries():
        assert entry.name in listing.stdout and entry.licence_line in listing.stdout
    got = subprocess.run([sys.executable, "-m", "namuweb", "corpora", "get", "bible-krv-1961"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert "100% · " in got.stderr and re.search(r"corpus \d{8}-\d{6}-download-", got.stdout)
    listed = subprocess.run([sys.executable, "-m", "namuweb", "corpora"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120).stdout
    assert "[public domain" in listed
    bad = subprocess.run([sys.executable, "-m", "namuweb", "corpora", "get", "file:///etc/passwd"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "only http:// and https://" in bad.stderr


def test_a_downloaded_text_is_exported_with_its_source_and_licence(mirror, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CORPUS_MIRROR", str(mirror))
    found = download("bible-krv-1961")
    data, name = corpus.export(found)
    import io
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(f"{found.id}.txt").decode() == found.read_text()
        source = archive.read("SOURCE.txt").decode()
    assert found.attribution in source and found.licence in source and name.endswith(".zip")
    plain = add_text("그냥 글".encode(), "plain.txt")
    assert corpus.export(plain) == ("그냥 글".encode(), f"{plain.id}.txt")
