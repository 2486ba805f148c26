"""Checking feed responses the way the Open Referral UK validator does: each body against the
schema openapi.json names for it, resolved to the shipped files, and paged lists on their first,
middle and last pages with consistent paging fields."""

from __future__ import annotations

import json
import math
import urllib.parse
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT202012

#: The Open Referral UK v3 schemas, OpenAPI description and examples (see reference/SOURCE.md).
REFERENCE = Path(__file__).parent / "reference"
REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
OPENAPI = "urn:oruk:openapi"


@lru_cache(maxsize=1)
def registry() -> Registry:
    """Every shipped schema under the address openapi.json uses for it, so `$ref`s (absolute, and
    the entity schemas' relative ones) resolve to local files and nothing is fetched."""
    resources = [(OPENAPI, DRAFT202012.create_resource(json.loads((REFERENCE / "openapi.json").read_text())))]
    for folder, prefix in (("schemata", REMOTE), ("compiled", REMOTE + "compiled/")):
        for path in sorted((REFERENCE / folder).glob("*.json")):
            resources.append((prefix + path.name, DRAFT202012.create_resource(json.loads(path.read_text()))))
    return Registry().with_resources(resources)


def _uri(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme in {"mailto", "urn"}))


def _date_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value


FORMATS = jsonschema.FormatChecker()
# Without optional packages jsonschema passes these formats unchecked; check them here.
FORMATS.checks("uri")(_uri)
FORMATS.checks("date-time")(_date_time)


def _response(path: str) -> dict[str, Any]:
    pointer = (
        "/paths/"
        + path.replace("~", "~0").replace("/", "~1")
        + "/get/responses/200/content/application~1json/schema"
    )
    return {"$ref": OPENAPI + "#" + pointer}


PAGE = {"$ref": OPENAPI + "#/components/schemas/Page"}

#: The schema each endpoint's answer must meet. The first nine come from openapi.json. The
#: organisation endpoints are not in this copy of it, so they use the compiled organisation schemas
#: the same way. openapi.json names compiled/service.json for /service_at_locations/{id}; the UK
#: profile's documentation and example answer it with a service at location, so it is checked
#: against compiled/service_at_location.json.
SCHEMAS: dict[str, dict[str, Any]] = {
    "/": _response("/"),
    "/services": _response("/services"),
    "/services/{id}": _response("/services/{id}"),
    "/taxonomies": _response("/taxonomies"),
    "/taxonomies/{id}": _response("/taxonomies/{id}"),
    "/taxonomy_terms": _response("/taxonomy_terms"),
    "/taxonomy_terms/{id}": _response("/taxonomy_terms/{id}"),
    "/service_at_locations": _response("/service_at_locations"),
    "/service_at_locations/{id}": {"$ref": REMOTE + "compiled/service_at_location.json"},
    "/organizations": {
        "allOf": [PAGE],
        "properties": {
            "contents": {"type": "array", "items": {"$ref": REMOTE + "compiled/organization_list.json"}}
        },
    },
    "/organizations/{id}": {"$ref": REMOTE + "compiled/organization.json"},
    "openapi.json's /service_at_locations/{id}": _response("/service_at_locations/{id}"),
}

#: Fields the profile types as plain strings but describes as dates (datapackage_type: date).
DATE_FIELDS = {"assured_date", "valid_from", "valid_to", "dtstart", "until"}


def problems(body: Any, endpoint: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        SCHEMAS[endpoint], registry=registry(), format_checker=FORMATS
    )
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    found += _date_problems(body, "")
    return found


def _date_problems(value: Any, where: str) -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in DATE_FIELDS:
                try:
                    date.fromisoformat(item)
                except (TypeError, ValueError):
                    found.append(f"{where}/{key}: {item!r} is not a date")
            found += _date_problems(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _date_problems(item, f"{where}/{index}")
    return found


def assert_valid(body: Any, endpoint: str) -> None:
    found = problems(body, endpoint)
    assert found == [], f"{endpoint} does not meet its schema:\n" + "\n".join(found[:20])


def assert_cors(response: Any) -> None:
    assert response.headers.get("access-control-allow-origin") == "*", response.request.url


def get_json(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code} {response.text[:300]}"
    assert_cors(response)
    return response.json()


def check_page(body: dict[str, Any], *, page: int, per_page: int, total: int) -> None:
    """The paging fields agree with each other and with what was asked for."""
    total_pages = max(1, math.ceil(total / per_page))
    expected_size = max(0, min(per_page, total - (page - 1) * per_page))
    assert body["total_items"] == total
    assert body["total_pages"] == total_pages
    assert body["page_number"] == page
    assert body["size"] == len(body["contents"]) == expected_size
    assert body["first_page"] is (page == 1)
    assert body["last_page"] is (page >= total_pages)
    assert body["empty"] is (expected_size == 0)


def check_paged_endpoint(
    client: Any, path: str, endpoint: str, *, per_page: int, query: str = ""
) -> list[Any]:
    """As the validator does: the first page, a middle page and the last page, each valid and
    consistent; then every page in turn, which together hold each item exactly once."""
    base = f"/oruk{path}?per_page={per_page}{query}"
    first = get_json(client, base + "&page=1")
    assert_valid(first, endpoint)
    total, pages = first["total_items"], first["total_pages"]
    check_page(first, page=1, per_page=per_page, total=total)
    for page in sorted({max(pages // 2, 1), pages}):
        body = get_json(client, f"{base}&page={page}")
        assert_valid(body, endpoint)
        check_page(body, page=page, per_page=per_page, total=total)
    items = []
    for page in range(1, pages + 1):
        items.extend(get_json(client, f"{base}&page={page}")["contents"])
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == total
    return items
