from tests.access import EVERYONE, Rule, allow, form, ids

TERM = "e230a8bd-64ba-5b9e-9db2-5a298e5023ea"
TAXONOMY = "e753862d-af93-5856-b42c-d8b399e20670"
SERVICE_AT_LOCATION = "6f1c4a7e-0000-4000-8000-000000000000"

FEED_LISTS = (
    "/oruk",
    "/oruk/services",
    "/oruk/service_at_locations",
    "/oruk/organizations",
    "/oruk/taxonomies",
    "/oruk/taxonomy_terms",
)

READ_ONLY_PATHS = [
    "/oruk",
    "/oruk/services",
    "/oruk/services/{id}",
    "/oruk/service_at_locations",
    "/oruk/organizations",
    "/oruk/taxonomies",
]


activity_a = ids(service_id="activity_a")
org_a = ids(organization_id="org_a")


RULES = [
    # ---- the ORUK feed: public and read-only ----
    *[Rule("GET", path, EVERYONE) for path in FEED_LISTS],
    Rule("GET", "/oruk/services/{service_id}", EVERYONE, activity_a),
    Rule("GET", "/oruk/service_at_locations/{sal_id}", EVERYONE, lambda p: {"sal_id": SERVICE_AT_LOCATION}),
    Rule("GET", "/oruk/organizations/{organization_id}", EVERYONE, org_a),
    Rule("GET", "/oruk/taxonomies/{taxonomy_id}", EVERYONE, lambda p: {"taxonomy_id": TAXONOMY}),
    Rule("GET", "/oruk/taxonomy_terms/{term_id}", EVERYONE, lambda p: {"term_id": TERM}),
    Rule("GET", "/oruk/{rest}", EVERYONE, lambda p: {"rest": "nothing/here"}),
    # Writes are answered 405 for everyone (with the CORS header), never 401 or 403.
    *[
        Rule(method, path, EVERYONE, ids(id="activity_a"))
        for path in READ_ONLY_PATHS
        for method in ("POST", "PUT", "PATCH", "DELETE")
    ],
    # ---- importing a feed: administrators only ----
    *form("/admin/oruk", allow("admin"), body={"url": ""}),
]
