"""What the JSON API's own schema says about answers that are not the happy path: the error body
core.handlers sends, how a writer signs in, and clock times as they are actually sent."""

from __future__ import annotations

from datetime import time
from functools import partial
from typing import Any

import msgspec
from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, OpenAPIType, Schema, SecurityScheme
from litestar.plugins import OpenAPISchemaPlugin

from core.csrf import HEADER
from core.middleware import ADDRESS_TEXT_PATTERN, SESSION_COOKIE


class ErrorBody(msgspec.Struct):
    """Every 4xx from the API: what went wrong in words, and for a 400 which fields to fix."""

    status_code: int
    detail: str
    errors: dict[str, str] = msgspec.field(default_factory=dict)


ERRORS = {
    400: "The request could not be used: `detail` says why and `errors` names each field to fix",
    401: "Sign in first",
    403: "Not for this role or organisation, or the CSRF token was missing or stale",
    404: "Nothing has that id (it may have been removed)",
    409: "The record changed meanwhile (`version` is stale) or the change no longer applies",
}

#: A write needs a signed-in session and the form token of that session (see the csrf scheme).
WRITER = [{"session": [], "csrf": []}]


COMPONENTS = Components(
    security_schemes={
        "session": SecurityScheme(
            type="apiKey",
            name=SESSION_COOKIE,
            security_scheme_in="cookie",
            description="Set by signing in at /sign-in",
        ),
        "csrf": SecurityScheme(
            type="apiKey",
            name=HEADER,
            security_scheme_in="header",
            description="The form token every page carries (the hidden `csrf_token` field of its "
            "forms, and the X-CSRF-Token header in its htmx `hx-headers`), sent back on every write. "
            "It is bound to the session cookie: take it from a page fetched with the same session "
            "(it is not the value of any cookie).",
        ),
    }
)


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(data_container=ErrorBody, description=ERRORS[code], generate_examples=False)
        for code in codes
    }


LIST_ERRORS = error_responses(400)
ONE_ERRORS = error_responses(400, 404)
# The read endpoints of the APIs work on the database, so run in a worker thread, and document
# the errors they can answer with; declaring routes through these keeps both on every one.
list_route = partial(get, sync_to_thread=True, responses=LIST_ERRORS)
one_route = partial(get, sync_to_thread=True, responses=ONE_ERRORS)


class ClockTimes(OpenAPISchemaPlugin):
    """Litestar documents `datetime.time` as an ISO duration; Flourish sends a time of day, 10:30:00."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is time

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        return Schema(
            type=OpenAPIType.STRING,
            pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
            examples=["10:30:00"],
            description="A time of day in Rotherham, 24-hour clock",
        )


# ---- the served document ---------------------------------------------------------------------


#: Request bodies whose schema is msgspec's own: the rules msgspec enforces when it reads them,
#: every one of them (Litestar's rendering drops some, such as a minimum of 0 or list items' limits).
REQUEST_BODIES: list[type] = []


def request_body(struct: type) -> type:
    REQUEST_BODIES.append(struct)
    return struct


def exact_request_bodies(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    _, exact = msgspec.json.schema_components(REQUEST_BODIES, ref_template="#/components/schemas/{name}")
    for name, schema in exact.items():
        if name in schemas:
            examples = schemas[name].get("examples")
            schemas[name] = schema | ({"examples": examples} if examples else {})
    return document


def printable_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """Every string in a path or query parameter says what the server enforces before any handler
    runs: no control characters (core.middleware refuses them in the address with a 400)."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("path", "query"):
                    _printable(parameter["schema"])
    return document


def _printable(schema: dict[str, Any]) -> None:
    if "pattern" in schema:
        # A pattern of its own must already exclude control characters (checked by the tests).
        return
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key, []):
            _printable(branch)
    if isinstance(schema.get("items"), dict):
        _printable(schema["items"])
    if schema.get("type") == "string" and not {"enum", "const", "format"} & schema.keys():
        schema["pattern"] = ADDRESS_TEXT_PATTERN


class ServedSchema(JsonRenderPlugin):
    """The OpenAPI document as JSON, with the rules the middleware enforces for every operation
    added to the document Litestar builds (and caches) from the handlers. Adding them changes the
    cached document only the first time."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, exact_request_bodies(printable_parameters(openapi_schema)))
