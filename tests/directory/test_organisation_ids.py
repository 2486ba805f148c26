"""Organisation identifiers in the org-id scheme: a coordinator chooses the register and types
the number; a number of the wrong shape for its register is refused with what to fix."""

import pytest

from directory import org_ids
from directory.models import Organisation
from tests.factories import reload


def _edit(client, personas, **fields):
    client.sign_in_as(personas.coordinator_a)
    form = {"name": personas.org_a.name, "version": str(personas.org_a.version)} | fields
    return client.post(f"/coordinator/organisations/{personas.org_a.id}/edit", form)


def test_it_saves_a_charity_number_as_its_org_id_and_shows_it_again(client, personas, database):
    response = _edit(client, personas, register="GB-CHC", registered_number=" 1084 715 ")
    assert "Organisation details saved." in response.text
    assert reload(database, Organisation, personas.org_a.id).org_id == "GB-CHC-1084715"
    form = client.get(f"/coordinator/organisations/{personas.org_a.id}/edit").text
    assert '<option value="GB-CHC" selected>' in form and 'value="1084715"' in form


def test_it_refuses_a_malformed_charity_number_saying_what_to_fix(client, personas, database):
    response = _edit(client, personas, register="GB-CHC", registered_number="10847")
    assert response.status_code == 400
    assert "Charity numbers in England and Wales are 6 to 8 digits, like 1048207" in response.text
    assert 'value="10847"' in response.text  # what was typed, kept
    assert reload(database, Organisation, personas.org_a.id).org_id is None


def test_it_refuses_a_scottish_number_on_the_england_and_wales_register(client, personas):
    response = _edit(client, personas, register="GB-CHC", registered_number="SC012345")
    assert response.status_code == 400
    assert "choose the Scottish Charity Regulator" in response.text


def test_it_keeps_other_identifiers_and_refuses_one_that_is_not(client, personas, database):
    response = _edit(
        client,
        personas,
        register="GB-SC",
        registered_number="sc012345",
        other_org_ids="GB-COH-SC123456\nGB-COH-123",
    )
    assert response.status_code == 400
    assert "Company numbers are 8 characters" in response.text
    assert "GB-COH-123" in response.text
    _edit(client, personas, register="GB-SC", registered_number="sc012345", other_org_ids="gb-coh-sc123456")
    saved = reload(database, Organisation, personas.org_a.id)
    assert (saved.org_id, saved.other_org_ids) == ("GB-SC-SC012345", ["GB-COH-SC123456"])


def test_two_organisations_cannot_share_an_identifier(client, personas, db):
    personas.org_b.org_id = "GB-CHC-1084715"
    db.add(personas.org_b)
    db.commit()
    response = _edit(client, personas, register="GB-CHC", registered_number="1084715")
    assert response.status_code == 400
    assert f"already the identifier of {personas.org_b.name}" in response.text


@pytest.mark.parametrize(
    ("register", "typed", "expected"),
    [
        ("GB-CHC", "1048207", "GB-CHC-1048207"),
        ("GB-CHC", "12345678", "GB-CHC-12345678"),
        ("GB-SC", "SC 012345", "GB-SC-SC012345"),
        ("GB-SC", "012345", "GB-SC-SC012345"),
        ("GB-NIC", "NIC100002", "GB-NIC-100002"),
        ("GB-COH", "1234567", "GB-COH-01234567"),
        ("GB-COH", "sc123456", "GB-COH-SC123456"),
        ("GB-MPR", "30092r", "GB-MPR-30092R"),
    ],
)
def test_each_register_takes_numbers_as_people_write_them(register, typed, expected):
    assert org_ids.from_register(register, typed) == expected
    assert org_ids.parse(expected) == expected


@pytest.mark.parametrize(
    ("register", "typed"),
    [
        ("GB-CHC", "12345"),
        ("GB-CHC", "123456789"),
        ("GB-CHC", "1048207-1"),
        ("GB-SC", "SC12345"),
        ("GB-NIC", "NIC10000"),
        ("GB-COH", "ABC12345"),
        ("GB-COH", "123456789"),
    ],
)
def test_numbers_of_the_wrong_shape_for_their_register_are_refused(register, typed):
    with pytest.raises(ValueError, match="like"):
        org_ids.from_register(register, typed)


def test_the_api_takes_a_whole_identifier_and_still_reads_a_bare_number(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/api/v1/organisations/{personas.org_a.id}"
    body = {"name": personas.org_a.name, "org_id": "gb-coh-09876543", "version": personas.org_a.version}
    response = client.json("PUT", url, body)
    assert response.status_code == 200, response.text
    assert (response.json()["org_id"], response.json()["charity_number"]) == ("GB-COH-09876543", "09876543")
    body = {"name": personas.org_a.name, "charity_number": "1084715", "version": response.json()["version"]}
    assert client.json("PUT", url, body).json()["org_id"] == "GB-CHC-1084715"
    refused = client.json("PUT", url, body | {"org_id": "charity 1084715", "version": 3})
    assert refused.status_code == 400
    assert "org_id" in refused.json()["errors"]
