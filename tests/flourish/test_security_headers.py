"""Security headers on every response: pages, refusals, missing pages and errors alike."""

import directory.queries

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _check(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert response.headers.get("x-request-id")
    assert "strict-transport-security" not in response.headers  # only when served over HTTPS


def test_they_are_on_pages(client, personas):
    _check(client.get("/"))
    _check(client.get(f"/activities/{personas.activity_a.id}"))


def test_they_are_on_missing_pages_and_api_404s(client, personas):
    _check(client.get("/no/such/page"))
    _check(client.get("/activities/no-such-activity"))
    _check(client.json("GET", "/api/v1/activities/no-such-activity"))


def test_they_are_on_refusals(client, personas):
    client.sign_in_as(personas.link_worker)
    _check(client.get("/manage"))
    _check(client.post("/sign-out", csrf=False))


def test_they_are_on_unexpected_errors_which_show_no_details(client, personas, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(directory.queries, "organisations_with_counts", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    _check(response)


def test_they_are_on_static_files(client):
    _check(client.get("/static/flourish.css"))


def test_a_good_request_id_is_passed_back_and_a_bad_one_replaced(client):
    assert client.get("/", headers={"x-request-id": "abc12345-req"}).headers["x-request-id"] == "abc12345-req"
    replaced = client.get("/", headers={"x-request-id": "<script>"}).headers["x-request-id"]
    assert replaced != "<script>" and replaced.isalnum()


def test_no_page_that_shows_a_person_may_be_kept_by_a_browser_or_proxy(client, personas):
    referral = personas.referral.id
    client.sign_in_as(personas.link_worker)
    for page in ("/caseload", f"/referrals/{referral}", f"/referrals/{referral}/prescription"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers.get("cache-control") == "no-store", page

    client.sign_in_as(personas.admin)
    extract = client.get("/reports/exports/research.csv")
    assert extract.status_code == 200
    assert extract.headers.get("cache-control") == "no-store"


def test_public_pages_may_still_be_kept(client, personas):
    assert "no-store" not in client.get("/").headers.get("cache-control", "")
