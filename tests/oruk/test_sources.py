"""Reading feed files: a list is read a service at a time, whatever the shape of the file, and
every problem is reported with where it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from directory.oruk import sources
from directory.oruk.sources import SourceError

SERVICES = [
    {"id": f"00000000-0000-4000-8000-00000000000{n}", "name": f"Group {n}", "status": "active"}
    for n in range(5)
]


@pytest.fixture(params=[7, 1 << 20], ids=["tiny chunks", "large chunks"])
def chunk(request, monkeypatch):
    monkeypatch.setattr(sources, "CHUNK_CHARS", request.param)


def _read(data: bytes) -> list:
    return list(sources.from_bytes(data, "test").services)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(SERVICES),
        json.dumps(SERVICES, indent=2),
        "\n".join(json.dumps(s) for s in SERVICES),
        json.dumps({"total_items": 5, "total_pages": 1, "page_number": 1, "contents": SERVICES}),
        "\ufeff" + json.dumps(SERVICES),
    ],
    ids=["list", "indented list", "one per line", "page", "byte order mark"],
)
def test_every_shape_of_file_gives_the_same_services(chunk, text):
    assert _read(text.encode()) == SERVICES


def test_an_organisation_file_gives_its_services_with_it(chunk):
    organisation = {"id": "11111111-1111-4111-8111-111111111111", "name": "Makers", "services": SERVICES[:2]}

    services = _read(json.dumps(organisation).encode())

    assert [s["organization"]["name"] for s in services] == ["Makers", "Makers"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        (
            "[\n" + json.dumps(SERVICES[0]) + ',\n{"name": nope}]',
            "not valid JSON: Expecting value at line 3, column 10",
        ),
        ("[" + json.dumps(SERVICES[0]), "a comma or ] is missing"),
        (json.dumps(SERVICES) + " and more", "more text after the list"),
        ('{"colour": "green"}', "not an ORUK feed"),
    ],
)
def test_broken_files_say_where_and_why(chunk, text, message):
    with pytest.raises(SourceError, match=message):
        _read(text.encode())


def test_a_file_that_is_not_utf8_is_refused(chunk):
    with pytest.raises(SourceError, match="not UTF-8"):
        _read(json.dumps(SERVICES).encode("utf-16"))


def test_a_missing_file_is_refused_before_anything_starts(tmp_path: Path):
    with pytest.raises(SourceError, match="no such file"):
        sources.from_path(tmp_path / "nowhere.json")
