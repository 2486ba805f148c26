"""The search page puts the search box and results before the filters, so on a phone they are
near the top, and a Filter link leads to the filters."""


def test_results_come_before_the_filters(client, personas):
    page = client.get("/activities", params={"category": "gardening-nature"}).text
    assert page.index('id="q"') < page.index('id="results"') < page.index('id="filters"')
    assert '<a href="#filters">Filter (1 chosen)</a>' in page
