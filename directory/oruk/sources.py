"""Where an ORUK feed comes from: a JSON file (one service, a list, a page of a list, or an
organisation with its services) or the /services address of a feed on a network the person
importing controls, followed page by page.

Files are parsed as the import reads them, one service at a time, so a large list never sits in
memory as Python objects all at once. Web feeds are fetched completely before the import starts,
so a slow network never holds the database's write lock. Every limit is a clear error.
"""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

#: Keys that only a fully nested service has; a list item without them is fetched in full.
DETAIL_KEYS = ("schedules", "service_at_locations", "attributes", "contacts", "cost_options")


class SourceError(ValueError):
    """The feed could not be read; the message says what to fix."""


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 20.0
    max_response_bytes: int = 25 * 1024 * 1024
    max_pages: int = 1000
    max_services: int = 200_000
    max_detail_requests: int = 5000


@dataclass
class Feed:
    label: str
    services: Iterable[Any]
    notes: list[str] = field(default_factory=list)


# ---- JSON documents -----------------------------------------------------------------------------


#: How much of a file is read at a time; parsed text is dropped as the import moves on.
CHUNK_CHARS = 1 << 20
_DECODER = json.JSONDecoder()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"The file is not UTF-8 text (a byte at position {exc.start} cannot be read)"
        ) from None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


class _Text:
    """JSON text read a chunk at a time, so that a list of 100,000 services is never in memory
    all at once, as text or as objects."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.text = ""
        self.pos = 0
        self.lines_dropped = 0
        self.columns_dropped = 0
        self.eof = False

    def fill(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = self.handle.read(CHUNK_CHARS)
        except UnicodeDecodeError as exc:
            raise SourceError(f"The file is not UTF-8 text (a byte cannot be read: {exc.reason})") from None
        if not chunk:
            self.eof = True
            return False
        dropped = self.text[: self.pos]
        newlines = dropped.count("\n")
        self.lines_dropped += newlines
        self.columns_dropped = (
            self.columns_dropped + len(dropped) if not newlines else len(dropped) - dropped.rindex("\n") - 1
        )
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def next_char(self) -> str | None:
        while True:
            self.pos = _skip_space(self.text, self.pos)
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return None

    def value(self) -> Any:
        self.next_char()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                line = self.lines_dropped + exc.lineno
                column = exc.colno + (self.columns_dropped if exc.lineno == 1 else 0)
                raise SourceError(
                    f"The file is not valid JSON: {exc.msg} at line {line}, column {column}"
                ) from None
            # A number at the very end of what has been read may go on in the next chunk.
            if end == len(self.text) and self.fill():
                continue
            self.pos = end
            return value


def _top_level_values(text: _Text) -> Iterator[tuple[Any, bool]]:
    """Each top-level value, with whether it came from inside a top-level array. A top-level array
    is read one element at a time; several objects one after another (NDJSON) are read in turn."""
    first = text.next_char()
    if first is None:
        raise SourceError("The file is empty")
    if first != "[":
        while text.next_char() is not None:
            yield text.value(), False
        return
    text.pos += 1
    if text.next_char() == "]":
        text.pos += 1
    else:
        while True:
            yield text.value(), True
            following = text.next_char()
            text.pos += 1
            if following == ",":
                continue
            if following == "]":
                break
            raise SourceError("The list of services is not valid JSON: a comma or ] is missing")
    if text.next_char() is not None:
        raise SourceError("There is more text after the list of services")


def kind_of(item: Any) -> str | None:
    """What an ORUK object is, from the fields it carries."""
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("service"), dict):
        return "service_at_location"
    if isinstance(item.get("services"), list):
        return "organization"
    if any(key in item for key in ("status", "organization", "organization_id", *DETAIL_KEYS)):
        return "service"
    if "taxonomy_terms" in item or "version" in item:
        return "taxonomy"
    if any(key in item for key in ("term", "taxonomy", "taxonomy_id", "parent_id")):
        return "taxonomy_term"
    if any(key in item for key in ("website", "logo", "organization_identifiers", "parent_organization_id")):
        return "organization"
    return "service" if "name" in item else None


NOT_SERVICES = {
    "taxonomy": "a taxonomy",
    "taxonomy_term": "taxonomy terms",
    "organization": "organisations without their services",
}


def as_service(item: Any) -> Any:
    """A service at a location becomes its service with that one location."""
    if kind_of(item) != "service_at_location":
        return item
    link = {k: v for k, v in item.items() if k != "service"}
    return {**item["service"], "service_at_locations": [link]}


def _refuse(kind: str | None) -> None:
    if kind in NOT_SERVICES:
        raise SourceError(
            f"This holds {NOT_SERVICES[kind]}, not services. Flourish imports services (with their "
            "organisations, locations and schedules): give it a service, a list of services or the "
            "feed's /services address"
        )


def _services_in(document: Any, notes: list[str]) -> Iterator[Any]:
    """The services a single JSON value holds."""
    if isinstance(document, list):
        yield from (as_service(item) for item in document)
    elif isinstance(document, dict) and isinstance(document.get("contents"), list):
        contents = document["contents"]
        if contents and not any(kind_of(i) in {"service", "service_at_location"} for i in contents):
            _refuse(kind_of(contents[0]))
        total_pages, page = document.get("total_pages"), document.get("page_number")
        if isinstance(total_pages, int) and isinstance(page, int) and total_pages > 1:
            notes.append(
                f"This is page {page} of {total_pages} of a paged list; only the services on it were "
                "read. Import from the feed's web address to follow every page."
            )
        yield from (as_service(item) for item in contents)
    elif kind_of(document) == "organization" and isinstance(document.get("services"), list):
        # An organisation with its services: each service belongs to it.
        organisation = {k: v for k, v in document.items() if k != "services"}
        for item in document["services"]:
            if isinstance(item, dict) and not item.get("organization"):
                item = {**item, "organization": organisation}
            yield item
    elif kind_of(document) in {"service", "service_at_location"}:
        yield as_service(document)
    else:
        _refuse(kind_of(document))
        raise SourceError(
            "This is not an ORUK feed: expected a service, a list of services, a page of services "
            "(with contents) or an organisation with its services"
        )


def parse(handle: TextIO, notes: list[str]) -> Iterator[Any]:
    for value, from_array in _top_level_values(_Text(handle)):
        if from_array:
            yield as_service(value)
        else:
            yield from _services_in(value, notes)


def from_bytes(data: bytes, label: str) -> Feed:
    notes: list[str] = []
    handle = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return Feed(label, parse(handle, notes), notes)


def from_path(path: Path) -> Feed:
    if not path.is_file():
        raise SourceError(f"Cannot read {path}: there is no such file")
    notes: list[str] = []

    def services() -> Iterator[Any]:
        try:
            handle = path.open("r", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise SourceError(f"Cannot read {path}: {exc.strerror or exc}") from None
        with handle:
            yield from parse(handle, notes)

    return Feed(str(path), services(), notes)


# ---- the web ------------------------------------------------------------------------------------


def check_address(url: str) -> urllib.parse.SplitResult:
    """Only http and https, and never the link-local range where cloud servers keep their own
    credentials. Local and private addresses are allowed: feeds live on networks people control."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SourceError("Give a web address starting with http:// or https://")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise SourceError(f"The address {parts.hostname!r} could not be found") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
            raise SourceError(f"Flourish does not fetch feeds from {address} ({parts.hostname})")
    return parts


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        check_address(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


Fetcher = Callable[[str, Limits], Any]


def fetch_json(url: str, limits: Limits) -> Any:
    check_address(url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http or https above
        url, headers={"Accept": "application/json", "User-Agent": "Flourish ORUK import"}
    )
    try:
        with opener.open(request, timeout=limits.timeout_seconds) as response:
            body = response.read(limits.max_response_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise SourceError(f"The feed answered {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"Could not fetch {url}: {reason}") from None
    if len(body) > limits.max_response_bytes:
        raise SourceError(
            f"{url} sent more than {limits.max_response_bytes // (1024 * 1024)} MB; "
            "ask for smaller pages (per_page) or import a file"
        )
    try:
        return json.loads(_decode(body))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{url} did not send valid JSON ({exc.msg} at line {exc.lineno})") from None


def _with_query(url: str, **params: Any) -> str:
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _services_base(url: str) -> str | None:
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    if path.endswith("/services"):
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(parts._replace(path=path, query="", fragment=""))
    return None


def from_url(url: str, limits: Limits | None = None, fetch: Fetcher = fetch_json) -> Feed:
    """Every service of a feed: the pages of a /services list in turn (asking for fully nested
    services, and fetching /services/{id} for any item that still lacks its details), or the one
    document the address holds."""
    limits = limits or Limits()
    notes: list[str] = []
    base = _services_base(url)
    first = _with_query(url, full="true") if base else url
    document = fetch(first, limits)
    if not (isinstance(document, dict) and isinstance(document.get("contents"), list)):
        return Feed(url, list(_services_in(document, notes)), notes)
    services = [as_service(item) for item in document["contents"]]
    pages = 1
    page = document.get("page_number") if isinstance(document.get("page_number"), int) else 1
    while document.get("last_page") is not True and document.get("contents"):
        total_pages = document.get("total_pages")
        if isinstance(total_pages, int) and page >= total_pages:
            break
        pages += 1
        if pages > limits.max_pages:
            raise SourceError(f"The feed has more than {limits.max_pages} pages; import it from a file")
        page += 1
        document = fetch(_with_query(first, page=page), limits)
        if not isinstance(document, dict) or not isinstance(document.get("contents"), list):
            raise SourceError(f"Page {page} of the feed is not a page of services")
        services.extend(as_service(item) for item in document["contents"])
        if len(services) > limits.max_services:
            raise SourceError(f"The feed has more than {limits.max_services} services; import it from a file")
    notes.append(f"Read {pages} page{'s' if pages != 1 else ''} from {url}")
    return Feed(url, _with_details(services, base, limits, fetch, notes), notes)


def _with_details(
    services: list[Any], base: str | None, limits: Limits, fetch: Fetcher, notes: list[str]
) -> list[Any]:
    missing = [
        i
        for i, s in enumerate(services)
        if isinstance(s, dict) and s.get("id") and not any(k in s for k in DETAIL_KEYS)
    ]
    if not missing or base is None:
        return services
    if len(missing) > limits.max_detail_requests:
        raise SourceError(
            f"{len(missing)} services in the list lack their details, and fetching each one is "
            f"limited to {limits.max_detail_requests}; import the feed from a file instead"
        )
    for index in missing:
        service_id = urllib.parse.quote(str(services[index]["id"]), safe="")
        detail = fetch(f"{base}/{service_id}", limits)
        if isinstance(detail, dict):
            services[index] = detail
    notes.append(f"Fetched the full details of {len(missing)} services one by one")
    return services
