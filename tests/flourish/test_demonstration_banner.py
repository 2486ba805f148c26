"""Every page says when the site holds demonstration data, and a real deployment never does."""

import pytest

from core.site import DEMONSTRATION_DATA, set_setting

BANNER = "The organisations, people and figures here are made up."
PUBLIC_PAGES = ("/", "/activities", "/organisations", "/sign-in", "/about", "/no-such-page")


@pytest.fixture
def demonstration(db):
    set_setting(db, DEMONSTRATION_DATA, True)
    db.commit()


@pytest.mark.usefixtures("demonstration")
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_it_marks_every_page_a_visitor_sees_as_demonstration(client, url):
    page = client.get(url)
    assert BANNER in page.text
    assert '<strong class="phase-tag">Demonstration</strong>' in page.text


@pytest.mark.usefixtures("demonstration")
@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("link_worker", "/caseload"),
        ("coordinator_a", "/coordinator"),
        ("var_manager", "/grants"),
        ("admin", "/admin"),
    ],
)
def test_it_marks_the_pages_of_people_signed_in(client, personas, persona, url):
    client.sign_in_as(personas.by_name(persona))
    page = client.get(url)
    assert page.status_code == 200
    assert BANNER in page.text


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_site_without_demonstration_data_shows_no_banner(client, personas, url):
    assert BANNER not in client.get(url).text
