def test_it_serves_the_home_page_to_anyone(client, personas):
    response = client.get("/")
    assert response.status_code == 200
    assert "Find something to look forward to" in response.text
