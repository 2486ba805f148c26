"""Importing from a feed's web address: every page followed, details fetched where a list leaves
them out, and clear errors for addresses and answers Flourish will not use."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.audit import Actor
from directory.oruk import sources
from directory.oruk.importer import import_feed
from directory.oruk.sources import Limits, SourceError
from tests.oruk.support import get_json
from tests.oruk.test_import import export

Route = Callable[[dict[str, str]], tuple[int, dict[str, str], bytes]]


class FeedServer:
    """A small web server on this machine answering from a table of routes."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                server.requests.append(self.path)
                route = server.routes.get(parts.path)
                if route is None:
                    status, headers, body = 404, {}, b"{}"
                else:
                    status, headers, body = route(dict(urllib.parse.parse_qsl(parts.query)))
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as the timeout test makes it do

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def json(self, path: str, body: Any | Callable[[dict[str, str]], Any]) -> None:
        def route(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            value = body(query) if callable(body) else body
            return 200, {"Content-Type": "application/json"}, json.dumps(value).encode()

        self.routes[path] = route


@pytest.fixture
def server() -> Iterator[FeedServer]:
    feed_server = FeedServer()
    feed_server.thread.start()
    yield feed_server
    feed_server.httpd.shutdown()
    feed_server.httpd.server_close()


def _publish(server: FeedServer, client, per_page: int = 3) -> None:
    """Serve the small directory the way a plain ORUK feed does: list pages of one-to-one fields
    (whatever `full` says) and each service in full at /services/{id}."""

    def page(query: dict[str, str]) -> Any:
        return get_json(client, f"/oruk/services?per_page={per_page}&page={query.get('page', '1')}")

    server.json("/feed/services", page)
    for service in get_json(client, "/oruk/services?per_page=100")["contents"]:
        server.json(f"/feed/services/{service['id']}", get_json(client, f"/oruk/services/{service['id']}"))


def test_it_follows_every_page_and_fetches_details(client, small_directory, server, target, target_client):
    _publish(server, client)

    feed = sources.from_url(server.url + "/feed/services")
    with target.writer() as db:
        report = import_feed(db, Actor.system("test"), feed)

    assert report.failure is None
    assert report.counts == {"added": len(small_directory.listed)}
    assert any("Read 3 pages" in note for note in report.notes)
    assert any(f"full details of {len(small_directory.listed)} services" in note for note in report.notes)
    assert {"full": "true", "page": "2"}.items() <= dict(
        urllib.parse.parse_qsl(urllib.parse.urlsplit(server.requests[1]).query)
    ).items()
    assert export(target_client) == export(client)


def test_a_page_of_full_services_needs_no_further_requests(client, small_directory, server):
    server.json(
        "/oruk/services",
        lambda q: get_json(
            client, f"/oruk/services?per_page=4&page={q.get('page', '1')}&full={q.get('full', '')}"
        ),
    )

    feed = sources.from_url(server.url + "/oruk/services")

    assert len(list(feed.services)) == len(small_directory.listed)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data", "does not fetch feeds from 169.254.169.254"),
        ("file:///etc/passwd", "starting with http"),
        ("ftp://example.org/feed", "starting with http"),
        ("https://no-such-host.invalid/services", "could not be found"),
    ],
)
def test_addresses_it_will_not_fetch_are_refused_in_plain_words(url, message):
    with pytest.raises(SourceError, match=message):
        sources.from_url(url)


def test_a_redirect_to_a_refused_address_is_refused(server):
    server.routes["/services"] = lambda q: (302, {"Location": "http://169.254.169.254/"}, b"")

    with pytest.raises(SourceError, match=re.escape("169.254.169.254")):
        sources.from_url(server.url + "/services")


def test_error_answers_and_broken_json_are_explained(server):
    server.routes["/broken/services"] = lambda q: (200, {}, b"{not json")

    with pytest.raises(SourceError, match="answered 404"):
        sources.from_url(server.url + "/missing/services")
    with pytest.raises(SourceError, match="did not send valid JSON"):
        sources.from_url(server.url + "/broken/services")


def test_limits_stop_runaway_feeds(client, small_directory, server):
    _publish(server, client, per_page=1)

    with pytest.raises(SourceError, match="more than 2 pages"):
        sources.from_url(server.url + "/feed/services", Limits(max_pages=2))
    with pytest.raises(SourceError, match="more than 0 MB"):
        sources.from_url(server.url + "/feed/services", Limits(max_response_bytes=200))
    with pytest.raises(SourceError, match="lack their details"):
        sources.from_url(server.url + "/feed/services", Limits(max_detail_requests=3))


def test_a_slow_feed_times_out(server):
    def slow(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, b"[]"

    server.routes["/slow/services"] = slow

    with pytest.raises(SourceError, match="Could not fetch"):
        sources.from_url(server.url + "/slow/services", Limits(timeout_seconds=0.2))
