"""What the JSON API's own schema says about answers that are not the happy path: the error body
core.handlers sends, how a writer signs in, and clock times as they are actually sent."""

from __future__ import annotations

from datetime import time
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIType, Schema, SecurityScheme
from litestar.plugins import OpenAPISchemaPlugin

from core.csrf import HEADER
from core.middleware import SESSION_COOKIE


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

#: A write needs a signed-in session and the CSRF token from the cookie of the same name.
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
            description="The value of the flourish_csrf cookie, sent back on every write",
        ),
    }
)


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(data_container=ErrorBody, description=ERRORS[code], generate_examples=False)
        for code in codes
    }


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
