"""Postcodes: what people type is tidied into the standard form, and areas are placed on the map."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.postcodes import PostcodeError, locate, miles_between, normalise_postcode, shipped_centroids


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("S60 1AA", "S60 1AA"),
        ("s60 1aa", "S60 1AA"),
        ("s601aa", "S60 1AA"),
        ("  S60   1AA  ", "S60 1AA"),
        ("S60\t1AA", "S60 1AA"),
        ("s6 5 1 b l", "S65 1BL"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("dn1 2aa", "DN1 2AA"),
    ],
)
def test_it_normalises_what_people_type(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a postcode"),
        ("   ", "Enter a postcode"),
        ("S60", "is not a UK postcode"),
        ("S60 1A", "is not a UK postcode"),
        ("60 1AA", "is not a UK postcode"),
        ("S60 1CA", "is not a UK postcode"),  # C never ends a postcode
        ("ROTHERHAM", "at most 7 letters and numbers"),
        ("S60 1AA!", "is not a UK postcode"),
    ],
)
def test_it_refuses_text_that_is_not_a_postcode_with_a_message_to_act_on(typed, message):
    with pytest.raises(PostcodeError, match=message):
        normalise_postcode(typed)


def test_it_refuses_a_value_that_is_not_text():
    with pytest.raises(PostcodeError, match="Enter a postcode"):
        normalise_postcode(None)  # type: ignore[arg-type]


def test_it_places_a_district_at_its_centre():
    place = locate("S65")
    assert (place.code, place.precision) == ("S65", "district")
    assert "Clifton" in place.name


def test_it_places_a_sector_more_precisely_than_its_district():
    sector, district = locate("s65 1"), locate("S65")
    assert (sector.code, sector.precision) == ("S65 1", "sector")
    assert (sector.latitude, sector.longitude) != (district.latitude, district.longitude)
    assert locate("S651") == sector


def test_it_places_a_full_postcode_at_its_sector():
    place = locate("s65 1bl")
    sector = shipped_centroids()["S65 1"]
    assert place.code == "S65 1BL"
    assert place.precision == "sector"
    assert (place.latitude, place.longitude) == (sector.latitude, sector.longitude)


def test_it_falls_back_to_the_district_for_a_sector_it_does_not_hold():
    place = locate("S60 7AB")
    district = shipped_centroids()["S60"]
    assert place.precision == "district"
    assert (place.latitude, place.longitude) == (district.latitude, district.longitude)


def test_it_says_when_a_real_looking_postcode_is_outside_the_area():
    with pytest.raises(PostcodeError, match="outside the area Flourish knows"):
        locate("LS1 4AP")


@pytest.mark.parametrize("district", ["S18", "DN14", "S33"])
def test_it_does_not_mistake_an_unknown_district_for_a_sector_of_another(district):
    # S18 is Dronfield: it must not be placed in Sheffield city centre as if it were "S1 8".
    with pytest.raises(PostcodeError, match=f"do not know the area {district}"):
        locate(district)


def test_it_reads_a_spaced_sector_of_a_short_district_as_that_district():
    place = locate("S6 1")
    assert (place.code, place.precision) == ("S6", "district")


def test_it_asks_for_something_when_nothing_is_given():
    with pytest.raises(PostcodeError, match="Enter a postcode or area"):
        locate("  ")


def test_it_measures_distance_between_two_places_in_miles():
    rotherham, sheffield = locate("S65"), locate("S1")
    miles = miles_between(rotherham.latitude, rotherham.longitude, sheffield.latitude, sheffield.longitude)
    assert 4 < miles < 8


@given(st.text(max_size=30))
def test_normalising_raises_only_postcode_errors_whatever_is_typed(text):
    with contextlib.suppress(PostcodeError):
        normalise_postcode(text)


POSTCODE_LIKE = st.from_regex(r"\A\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9]\s*[A-Za-z]{2}\s*\Z")


@given(st.one_of(POSTCODE_LIKE, st.text(max_size=10)))
def test_a_normalised_postcode_normalises_to_itself(text):
    try:
        once = normalise_postcode(text)
    except PostcodeError:
        return
    assert normalise_postcode(once) == once
    assert once == once.upper() and once.count(" ") == 1


@given(st.text(max_size=12))
def test_locating_raises_only_postcode_errors_whatever_is_typed(text):
    with contextlib.suppress(PostcodeError):
        locate(text)
