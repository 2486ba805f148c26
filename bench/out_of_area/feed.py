"""Write bench/out_of_area/feed.json, an Open Referral UK v3 feed, from directory.yaml.

The feed is what another council's directory would publish: its own taxonomies (LGA / esd and
OpenActive, never Flourish's), features in its organisers' prose. `truth` and `topics` stay in
directory.yaml: they are the evaluation's, never the feed's. Run it after editing directory.yaml:
`python bench/out_of_area/feed.py`.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
NAMESPACE = uuid.UUID("5b0f8a7e-2c39-4a61-9d7e-0c1a7d2e9f31")
#: When every schedule starts: well before any evaluation date.
STARTS = "2026-01-05"


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def spec() -> dict:
    return yaml.safe_load((HERE / "directory.yaml").read_text(encoding="utf-8"))


def location(key: str, venue: dict) -> dict:
    line, _, town = venue["address"].rpartition(", ")
    return {
        "id": uid("location", key),
        "name": venue["name"],
        "location_type": "physical",
        "latitude": venue["lat"],
        "longitude": venue["lon"],
        "addresses": [
            {
                "id": uid("address", key),
                "address_1": line or venue["address"],
                "city": town,
                "state_province": "West Yorkshire",
                "postal_code": venue["postcode"],
                "country": "GB",
                "address_type": "physical",
            }
        ],
        "accessibility": [{"id": uid("accessibility", key), "description": venue["access"]}],
    }


def service(item: dict, data: dict) -> dict:
    key = item["key"]
    days: dict[tuple[str, str], list[str]] = {}
    for day, opens, closes in item["times"]:
        days.setdefault((opens, closes), []).append(day)
    out = {
        "id": uid("service", key),
        "name": item["title"],
        "description": item["description"],
        "status": "active",
        "fees": item.get("fees", ""),
        "organization": {"id": uid("organization", item["org"]), "name": data["organisations"][item["org"]]},
        "service_at_locations": [
            {
                "id": uid("sal", key),
                "location": location(item["venue"], data["venues"][item["venue"]]),
            }
        ],
        "schedules": [
            {
                "id": uid("schedule", key, opens),
                "freq": "WEEKLY",
                "interval": 1,
                "byday": ",".join(byday),
                "opens_at": opens,
                "closes_at": closes,
                "dtstart": STARTS,
            }
            for (opens, closes), byday in days.items()
        ],
        "attributes": [
            {
                "id": uid("attribute", key, name),
                "link_type": "service",
                "taxonomy_term": {"id": uid("term", taxonomy, name), "name": name, "taxonomy": taxonomy},
            }
            for taxonomy, name in item.get("terms", ())
        ],
    }
    for field in ("age_min", "age_max"):
        if field in item:
            out["minimum_age" if field == "age_min" else "maximum_age"] = item[field]
    return out


def main() -> None:
    data = spec()
    services = [service(item, data) for item in data["services"]]
    (HERE / "feed.json").write_text(
        json.dumps(services, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"{len(services)} services from {len(data['organisations'])} organisations -> feed.json")


if __name__ == "__main__":
    main()
