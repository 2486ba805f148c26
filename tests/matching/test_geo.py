"""Distances shown beside each suggestion ("1.2 miles") and used to rank them."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matching.geo import miles_between, miles_from, unit_vector

latitudes = st.floats(min_value=-89.9, max_value=89.9)
longitudes = st.floats(min_value=-180, max_value=180)
YARD_IN_MILES = 1 / 1760


@given(st.tuples(latitudes, longitudes), st.lists(st.tuples(latitudes, longitudes), min_size=1, max_size=20))
def test_distances_to_many_places_agree_with_the_distance_between_two(origin, places):
    x, y, z = (np.array(column) for column in zip(*(unit_vector(*p) for p in places), strict=True))

    many = miles_from(*origin, x, y, z)

    for got, place in zip(many, places, strict=True):
        assert math.isclose(got, miles_between(*origin, *place), rel_tol=1e-6, abs_tol=YARD_IN_MILES)


def test_rotherham_to_sheffield_is_about_six_miles_and_a_place_is_no_distance_from_itself():
    town_hall, sheffield = (53.4302, -1.3568), (53.3811, -1.4701)
    x, y, z = (
        np.array(column) for column in zip(unit_vector(*town_hall), unit_vector(*sheffield), strict=True)
    )

    here, there = miles_from(*town_hall, x, y, z)

    assert here < YARD_IN_MILES
    assert 5.5 < there < 6.5


def test_a_place_with_no_position_has_no_distance():
    nowhere = np.array([np.nan])

    assert np.isnan(miles_from(53.43, -1.35, nowhere, nowhere, nowhere)[0])
