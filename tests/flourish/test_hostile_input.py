"""Input no honest form would send (NUL bytes, control characters, invalid UTF-8, JSON nested a
thousand deep) gets a 4xx that says what is wrong, never a 500."""

import pytest

from directory import services
from directory.schemas import read_activity
from tests.factories import activity_form, actor_for, committed


def _says_what_is_wrong(response, *words):
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    text = response.text.lower()
    assert any(word in text for word in words), response.text[:300]


@pytest.mark.parametrize(
    "address",
    [
        "/activities/a%00b/sessions.ics",
        "/calendar/organisations/a%00b/x.ics",
        "/grants/organisations/a%00b",
        "/admin/patients?q=a%00b",
        "/activities?q=walk%00ing",
        "/api/v1/activities?q=a%01b",
    ],
)
def test_a_nul_or_control_character_in_the_address_is_a_400(client, personas, address):
    client.sign_in_as(personas.admin)
    _says_what_is_wrong(client.get(address), "character")


def test_json_nested_a_thousand_deep_is_a_400(client):
    body = '{"interests": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.client.post(
        "/api/v1/match",
        content=body,
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    _says_what_is_wrong(response, "nested", "send this as text")


def test_a_body_that_is_not_utf8_is_a_400(client):
    response = client.client.post(
        "/api/v1/match",
        content=b'{"interests": "gardening \xff\xfe"}',
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    _says_what_is_wrong(response, "utf-8", "json")


def test_a_nul_byte_in_a_form_field_is_refused_and_the_typing_kept(client, db, database, personas):
    client.sign_in_as(personas.coordinator_a)
    form = activity_form(db, personas.activity_a, title="Tuesday Growers", description="We grow\x00 beans")
    response = client.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form)
    _says_what_is_wrong(response, "control characters")
    assert "We grow" in response.text and "beans" in response.text


def test_a_line_break_in_an_activity_title_is_refused(client, db, personas):
    client.sign_in_as(personas.coordinator_a)
    form = activity_form(db, personas.activity_a, title="Tuesday\r\nGrowers")
    response = client.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form)
    _says_what_is_wrong(response, "line break", "one line")
    assert "Tuesday" in response.text


def test_a_calendar_stays_valid_whatever_the_text_holds(client, db, personas):
    # A description may hold line breaks, commas and semicolons; the .ics escapes and folds them.
    form = activity_form(
        db, personas.activity_a, newcomer_notes="Bring boots; gloves, and a flask.\nWe meet by the gate. " * 5
    )
    committed(
        db,
        lambda: services.update_activity(
            db, actor_for(personas.coordinator_a), personas.activity_a.id, read_activity(form)
        ),
    )
    answer = client.get(f"/activities/{personas.activity_a.id}/sessions.ics")
    assert answer.status_code == 200
    lines = answer.content.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"Bring boots\\; gloves\\, and a flask.\\n" in answer.content.replace(b"\r\n ", b"")
