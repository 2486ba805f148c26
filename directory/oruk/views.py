"""The ORUK feed at /oruk (public, read-only, open to other sites' scripts) and the admin page that
imports a feed at /admin/oruk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, get, post, route
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import MethodNotAllowedException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlmodel import Session

from core import clock
from core.auth.guards import admins
from core.errors import InvalidInput, NotFound
from core.middleware import ADDRESS_TEXT_PATTERN
from core.openapi import list_route, one_route
from core.web import DbSession, actor_of, refuse, render
from directory.catalogue import Catalogue
from directory.oruk import feed, importer, sources
from directory.oruk.feed import Paging, ServiceQuery
from directory.search import SearchFilters, SearchIndex

#: No filter value has a control character in it; PostgreSQL would refuse a NUL byte outright.
Text = Annotated[str | None, QueryParameter(required=False, max_length=300, pattern=ADDRESS_TEXT_PATTERN)]
#: A full postcode, a sector or a district, as directory.postcodes.locate reads them.
POSTCODE_PATTERN = r"^ *[A-Za-z]{1,2}[0-9][A-Za-z0-9]?(?: *[0-9](?:[A-Za-z]{2})?)? *$"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


# ---- cross-origin reads -------------------------------------------------------------------------


def allow_any_origin(app: ASGIApp) -> ASGIApp:
    """Every /oruk response, errors included, may be read by scripts on other sites: the feed is
    public and carries no cookies' worth of anything private."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", b"*"))
                if scope.get("method") == "OPTIONS":
                    # Litestar's own answer lists the read_only handler's methods: the feed has
                    # only these.
                    headers = [(k, v) for k, v in headers if k.lower() != b"allow"]
                    headers.append((b"allow", b"GET, HEAD, OPTIONS"))
                    headers.append((b"access-control-allow-methods", b"GET, HEAD, OPTIONS"))
                    headers.append((b"access-control-allow-headers", b"Accept, Content-Type"))
                    headers.append((b"access-control-max-age", b"86400"))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_cors)

    return middleware


# ---- query parameters ---------------------------------------------------------------------------


def provide_paging(
    page: Annotated[
        int | None, QueryParameter(required=False, ge=1, le=10**9, description="Page number, from 1")
    ] = None,
    per_page: Annotated[
        int | None,
        QueryParameter(
            required=False,
            ge=1,
            le=feed.MAX_PER_PAGE,
            description=f"Items per page, 1 to {feed.MAX_PER_PAGE}",
        ),
    ] = None,
) -> Paging:
    return feed.Paging(page or 1, per_page or feed.DEFAULT_PER_PAGE)


def provide_filters(
    search: Annotated[str | None, QueryParameter(required=False, description="Full text search")] = None,
    text: Annotated[str | None, QueryParameter(required=False, description="Another name for search")] = None,
    taxonomy_term_id: Text = None,
    taxonomy_id: Text = None,
    organization_id: Text = None,
    minimum_age: Text = None,
    maximum_age: Text = None,
    start_time: Text = None,
    end_time: Text = None,
    day: Annotated[
        str | None, QueryParameter(required=False, description="MO to SU, or a day's name")
    ] = None,
    modified_after: Text = None,
    postcode: Annotated[
        str | None,
        QueryParameter(
            required=False,
            max_length=10,
            pattern=POSTCODE_PATTERN,
            description="A postcode, sector or district",
        ),
    ] = None,
    proximity: Annotated[
        str | None, QueryParameter(required=False, description="Metres from postcode")
    ] = None,
    full: Annotated[
        str | None, QueryParameter(required=False, description="true for fully nested items")
    ] = None,
) -> ServiceQuery:
    return feed.read_query(
        {
            "search": search,
            "text": text,
            "taxonomy_term_id": taxonomy_term_id,
            "taxonomy_id": taxonomy_id,
            "organization_id": organization_id,
            "minimum_age": minimum_age,
            "maximum_age": maximum_age,
            "start_time": start_time,
            "end_time": end_time,
            "day": day,
            "modified_after": modified_after,
            "postcode": postcode,
            "proximity": proximity,
            "full": full,
        }
    )


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _ranked(search_index: SearchIndex, query: ServiceQuery) -> list[str] | None:
    """Best-first ids from the directory's own search, when the query has search words."""
    if not query.search:
        return None
    hits = search_index.search(query.search, SearchFilters(), now=clock.now())
    return [hit.record.id for hit in hits]


@dataclass(frozen=True)
class ServiceLists:
    """What a page of either list of services is read with: this request's paging, filters and
    search words. A page is filtered, and best first when there are search words."""

    request: Request
    db: Session
    paging: Paging
    filters: ServiceQuery
    search_index: SearchIndex

    def page(self, endpoint: str) -> dict[str, Any]:
        ranked = _ranked(self.search_index, self.filters)
        return feed.list_page(
            self.db,
            endpoint,
            self.filters,
            self.paging,
            _base_url(self.request),
            today=clock.today(),
            ranked=ranked,
        )


def provide_service_lists(
    request: Request,
    db: DbSession,
    paging: NamedDependency[Paging],
    filters: NamedDependency[ServiceQuery],
    search_index: NamedDependency[SearchIndex],
) -> ServiceLists:
    return ServiceLists(request, db, paging, filters, search_index)


# ---- the feed -----------------------------------------------------------------------------------


class OrukFeed(Controller):
    path = "/"
    tags = ["Open Referral UK"]
    dependencies = {
        "paging": Provide(provide_paging, sync_to_thread=False),
        "filters": Provide(provide_filters, sync_to_thread=False),
        "service_lists": Provide(provide_service_lists, sync_to_thread=False),
    }

    @get("/", sync_to_thread=False, summary="About this ORUK feed")
    def root(self, request: Request) -> dict[str, Any]:
        return feed.root(_base_url(request))

    @list_route("/services", summary="Listed services, a page at a time")
    def services(self, service_lists: NamedDependency[ServiceLists]) -> dict[str, Any]:
        return service_lists.page("services")

    @one_route("/services/{service_id:str}", summary="One fully nested service")
    def service(self, request: Request, db: DbSession, service_id: FromPath[str]) -> dict[str, Any]:
        return feed.service(db, service_id, _base_url(request), today=clock.today())

    @list_route("/service_at_locations", summary="Services at their venues, a page at a time")
    def service_at_locations(self, service_lists: NamedDependency[ServiceLists]) -> dict[str, Any]:
        return service_lists.page("service_at_locations")

    @one_route("/service_at_locations/{sal_id:str}", summary="One service at its venue")
    def service_at_location(self, request: Request, db: DbSession, sal_id: FromPath[str]) -> dict[str, Any]:
        return feed.service_at_location(db, sal_id, _base_url(request), today=clock.today())

    @list_route("/organizations", summary="Organisations, a page at a time")
    def organizations(
        self, request: Request, db: DbSession, paging: NamedDependency[Paging]
    ) -> dict[str, Any]:
        return feed.organizations_page(db, paging, _base_url(request))

    @one_route("/organizations/{organization_id:str}", summary="One organisation and its services")
    def organization(
        self,
        request: Request,
        db: DbSession,
        organization_id: FromPath[str],
        full_service: Annotated[str | None, QueryParameter(required=False, max_length=5)] = None,
    ) -> dict[str, Any]:
        full = (full_service or "").lower() in {"true", "1", "yes"}
        return feed.organization(
            db, organization_id, _base_url(request), today=clock.today(), full_service=full
        )

    @list_route("/taxonomies", sync_to_thread=False, summary="The Flourish taxonomy")
    def taxonomies(self, paging: NamedDependency[Paging]) -> dict[str, Any]:
        return feed.taxonomies_page(paging)

    @one_route(
        "/taxonomies/{taxonomy_id:str}", sync_to_thread=False, summary="The Flourish taxonomy with its terms"
    )
    def taxonomy(self, taxonomy_id: FromPath[str]) -> dict[str, Any]:
        return feed.taxonomy_document(taxonomy_id)

    @list_route("/taxonomy_terms", sync_to_thread=False, summary="Terms of the Flourish taxonomy")
    def taxonomy_terms(self, paging: NamedDependency[Paging]) -> dict[str, Any]:
        return feed.taxonomy_terms_page(paging)

    @one_route("/taxonomy_terms/{term_id:str}", sync_to_thread=False, summary="One taxonomy term")
    def taxonomy_term(self, term_id: FromPath[str]) -> dict[str, Any]:
        return feed.taxonomy_term_document(term_id)

    @get("/{rest:path}", sync_to_thread=False, include_in_schema=False)
    def unknown(self, rest: FromPath[str]) -> None:
        # Answered here rather than by the router so that the answer carries the CORS header too.
        raise NotFound(
            f"The feed has no {rest[:60]!r}. It offers /services, /service_at_locations, "
            "/organizations, /taxonomies and /taxonomy_terms."
        )

    @route(
        ["/", "/services", "/services/{id:str}", "/service_at_locations", "/organizations", "/taxonomies"],
        http_method=[HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE],
        include_in_schema=False,
        opt={"csrf_exempt": True},
        sync_to_thread=False,
    )
    def read_only(self) -> None:
        raise MethodNotAllowedException(
            "This feed is read-only: use GET", headers={"Allow": "GET, HEAD, OPTIONS"}
        )


# ---- importing ----------------------------------------------------------------------------------


def _feed_from_form(data: dict[str, Any]) -> tuple[sources.Feed, str]:
    """The feed the admin chose (a file or a web address) and the address, to show it again."""
    url = str(data.get("url") or "").strip()
    upload = data.get("file")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    if has_file and url:
        raise InvalidInput({"file": "Choose a file or give a web address, not both"})
    if has_file:
        content = upload.file.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise InvalidInput({"file": "The file is larger than 50 MB; import it with the flourish command"})
        if not content.strip():
            raise InvalidInput({"file": "The file is empty"})
        return sources.from_bytes(content, upload.filename), url
    if url:
        try:
            return sources.from_url(url), url
        except sources.SourceError as exc:
            raise InvalidInput({"url": str(exc)}) from None
    raise InvalidInput({"file": "Choose a JSON file, or give the web address of a feed's /services list"})


def _import_context(**values: Any) -> dict[str, Any]:
    return {"errors": {}, "values": {"dry_run": "on"}, "report": None, "rows": [], "limit": 500} | values


def _rows(report: importer.ImportReport, limit: int) -> list[importer.ServiceOutcome]:
    order = {importer.SKIPPED: 0, importer.CHANGED: 1, importer.ADDED: 2, importer.UNCHANGED: 3}
    ranked = sorted(report.services, key=lambda s: (order[s.outcome], not s.notes, s.position))
    return ranked[:limit]


class OrukImportPage(Controller):
    path = "/admin/oruk"
    guards = [admins]
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def form(self, request: Request) -> Template:
        return render(request, "oruk/import.html", _import_context())

    @post("/", sync_to_thread=True, request_max_body_size=MAX_UPLOAD_BYTES + 1024 * 1024)
    def run(
        self,
        request: Request,
        db: DbSession,
        catalogue: NamedDependency[Catalogue],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        values = {"url": str(data.get("url") or ""), "dry_run": data.get("dry_run") or ""}
        try:
            source, _ = _feed_from_form(data)
        except InvalidInput as exc:
            refuse(db)
            return render(
                request,
                "oruk/import.html",
                _import_context(errors=exc.errors, values=values),
                status_code=400,
            )
        report = importer.import_feed(db, actor_of(request), source, dry_run=bool(values["dry_run"]))
        if report.saved:
            catalogue.invalidate()
        context = _import_context(values=values, report=report, rows=_rows(report, 500))
        return render(request, "oruk/import.html", context, status_code=200 if not report.failure else 422)
