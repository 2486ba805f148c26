from tests.access import EVERYONE, SIGNED_IN, VAR_MANAGERS, Rule, allow, form, ids

#: Everyone who may see a person's details has notices; commissioners see aggregates only.
NOTICES = allow("link_worker", "coordinator_a", "coordinator_b", "var_manager", "admin")

RULES = [
    Rule("GET", "/notices", NOTICES),
    Rule("POST", "/notices/read", NOTICES),
    # Someone else's notice, or none, is not found; the role is checked first.
    Rule("POST", "/notices/{notification_id}/read", NOTICES, lambda p: {"notification_id": 999999}),
    *form("/sign-in", EVERYONE, body={"email": "nobody@example.org", "password": "wrong password"}),
    Rule("POST", "/sign-out", EVERYONE),
    Rule("POST", "/sign-out-everywhere", SIGNED_IN),
    Rule("GET", "/healthz", EVERYONE),
    Rule("GET", "/manage", VAR_MANAGERS),
    Rule(
        "POST",
        "/manage/reports/{report_id}/resolve",
        VAR_MANAGERS,
        ids(report_id="report_a"),
    ),
]

# Your account, two-step sign-in, and the administrators' pages.
ADMINS = allow("admin")


_someone = ids(user_id="commissioner")
_person = ids(patient_id="patient")
_user_action = "/admin/users/{user_id}/{action}"


RULES += [
    *form("/sign-in/code", EVERYONE, body={"code": "123456"}),
    Rule("GET", "/account", SIGNED_IN),
    *form("/account/password", SIGNED_IN, body={"current": "not it", "new": "x", "new_again": "y"}),
    Rule("GET", "/account/two-step", VAR_MANAGERS),
    Rule("POST", "/account/two-step/start", VAR_MANAGERS),
    Rule("POST", "/account/two-step/confirm", VAR_MANAGERS, body={"code": "123456"}),
    Rule("POST", "/account/two-step/disable", VAR_MANAGERS, body={"code": "123456"}),
    Rule("GET", "/admin", ADMINS),
    Rule("GET", "/admin/audit", ADMINS),
    Rule("GET", "/admin/audit.csv", ADMINS),
    *form("/admin/users", ADMINS, body={"email": "new-person@example.org"}),
    Rule("POST", "/admin/users/{user_id}/deactivate", ADMINS, _someone, route=_user_action),
    Rule("POST", "/admin/users/{user_id}/reactivate", ADMINS, _someone, route=_user_action),
    Rule("POST", "/admin/users/{user_id}/end-sessions", ADMINS, _someone, route=_user_action),
    Rule("POST", "/admin/users/{user_id}/reset-two-step", ADMINS, _someone, route=_user_action),
    Rule("GET", "/admin/patients", ADMINS),
    Rule("GET", "/admin/patients/{patient_id}", ADMINS, _person),
    Rule("GET", "/admin/patients/{patient_id}/subject-access.json", ADMINS, _person),
    Rule("POST", "/admin/patients/{patient_id}/erase", ADMINS, _person, body={"note": ""}),
]
