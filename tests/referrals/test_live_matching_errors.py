"""Live matching shows every error beside its field, as the full page does, and keeps what was
typed; the matching page for a referral starts from the person's recorded gender and age."""

import datetime as dt
import re

from core import clock
from referrals.models import Patient


def _oob(html, name):
    match = re.search(
        rf'<div id="{name}-errors" class="field-errors" hx-swap-oob="true">(.*?)</div>', html, re.S
    )
    assert match, f"no out-of-band messages for {name}"
    return match.group(1)


def test_no_suggestions_are_ranked_as_if_a_refused_answer_were_not_given(client, personas):
    client.sign_in_as(personas.link_worker)
    refused = client.htmx_post("/matching", {"interests": "gardening " * 500, "age": "40"})
    assert refused.status_code == 400
    assert 'class="card"' not in refused.text and "No interests given yet" not in refused.text
    assert "Suggestions will show when the answers marked are put right" in refused.text

    too_young = client.htmx_post("/matching", {"interests": "gardening", "age": "-4"})
    assert too_young.status_code == 400 and 'class="card"' not in too_young.text

    # A postcode not found is said in the suggestions' notes, so they still come.
    unknown_place = client.htmx_post("/matching", {"interests": "gardening", "postcode": "ZZ99"})
    assert unknown_place.status_code == 400 and 'class="card"' in unknown_place.text


def test_each_bad_answer_is_shown_beside_its_field(client, personas):
    client.sign_in_as(personas.link_worker)
    typed = {"interests": "gardening " * 500, "postcode": "ZZ99", "age": "-4"}
    live = client.htmx_post("/matching", typed)
    full = client.post("/matching", typed)

    assert live.status_code == full.status_code == 400
    for name, words in (
        ("interests", "Keep this to 1000 characters or fewer"),
        ("postcode", "ZZ99"),
        ("age", "Enter an age between 16 and 110"),
    ):
        assert words in _oob(live.text, name), name
        beside = full.text.split(f'id="{name}-errors"', 1)[1].split("</div>", 1)[0]
        assert words in beside, name
    assert "Please check what you entered" in live.text
    # Fixed, the message goes.
    fixed = client.htmx_post("/matching", {"interests": "gardening", "postcode": "S65 2", "age": "40"})
    assert fixed.status_code == 200
    assert _oob(fixed.text, "age").strip() == "" and "Please check what you entered" not in fixed.text


def test_the_page_for_a_referral_uses_their_recorded_gender_and_age(client, db, personas):
    patient = db.get(Patient, personas.patient.id)
    patient.gender = "woman"
    today = clock.today()
    patient.date_of_birth = dt.date(today.year - 60, 1, 1)
    db.add(patient)
    db.commit()
    client.sign_in_as(personas.link_worker)
    page = client.get("/matching", params={"referral": str(personas.referral.id)}).text
    assert (
        '<input type="hidden" name="gender" value="woman">' in page
        and "(as recorded for this person)" in page
    )
    assert re.search(r'id="age" name="age" type="number" class="width-short" value="(59|60)"', page)
