from tests.access import EVERYONE, Rule, allow

TERM = "e230a8bd-64ba-5b9e-9db2-5a298e5023ea"

READ_ONLY_PATHS = [
    "/oruk",
    "/oruk/services",
    "/oruk/services/{id}",
    "/oruk/service_at_locations",
    "/oruk/organizations",
    "/oruk/taxonomies",
]


def activity_a(p):
    return {"service_id": p.activity_a.id}


def org_a(p):
    return {"organization_id": p.org_a.id}


RULES = [
    # ---- the ORUK feed: public and read-only ----
    Rule("GET", "/oruk", EVERYONE),
    Rule("GET", "/oruk/services", EVERYONE),
    Rule("GET", "/oruk/services/{service_id}", EVERYONE, activity_a),
    Rule("GET", "/oruk/service_at_locations", EVERYONE),
    Rule(
        "GET",
        "/oruk/service_at_locations/{sal_id}",
        EVERYONE,
        lambda p: {"sal_id": "6f1c4a7e-0000-4000-8000-000000000000"},
    ),
    Rule("GET", "/oruk/organizations", EVERYONE),
    Rule("GET", "/oruk/organizations/{organization_id}", EVERYONE, org_a),
    Rule("GET", "/oruk/taxonomies", EVERYONE),
    Rule(
        "GET",
        "/oruk/taxonomies/{taxonomy_id}",
        EVERYONE,
        lambda p: {"taxonomy_id": "e753862d-af93-5856-b42c-d8b399e20670"},
    ),
    Rule("GET", "/oruk/taxonomy_terms", EVERYONE),
    Rule("GET", "/oruk/taxonomy_terms/{term_id}", EVERYONE, lambda p: {"term_id": TERM}),
    Rule("GET", "/oruk/{rest}", EVERYONE, lambda p: {"rest": "nothing/here"}),
    # Writes are answered 405 for everyone (with the CORS header), never 401 or 403.
    *[
        Rule(method, path, EVERYONE, lambda p: {"id": p.activity_a.id})
        for path in READ_ONLY_PATHS
        for method in ("POST", "PUT", "PATCH", "DELETE")
    ],
    # ---- importing a feed: administrators only ----
    Rule("GET", "/admin/oruk", allow("admin")),
    Rule("POST", "/admin/oruk", allow("admin"), body={"url": ""}),
]
