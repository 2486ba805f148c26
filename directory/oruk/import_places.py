"""Organisations and venues during an ORUK import: found by id, charity number or name,
added or updated, each change reported and audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import audit
from directory.models import (
    Organisation,
    Venue,
)
from directory.oruk import mapping
from directory.oruk.import_rows import (
    ADDED,
    CHANGED,
    ORGANISATION_FIELDS,
    UNCHANGED,
    VENUE_FIELDS,
    _Rows,
)
from directory.oruk.reading import (
    LocationIn,
    OrganisationIn,
    ServiceIn,
    normalise_name,
)
from directory.oruk.taxonomy import derived_id
from directory.postcodes import PostcodeError, locate


class _Places(_Rows):
    """Organisations and venues, matched to those Flourish already holds."""

    def _load_organisations(self) -> None:
        self.organisations: dict[str, Organisation] = {}
        self.org_by_org_id: dict[str, str] = {}
        self.org_by_name: dict[str, str] = {}
        for organisation in self.db.scalars(sa.select(Organisation)):
            self._remember(organisation)

    def _remember(self, organisation: Organisation) -> None:
        self.organisations[organisation.id] = organisation
        if organisation.org_id:
            self.org_by_org_id.setdefault(organisation.org_id, organisation.id)
        self.org_by_name.setdefault(normalise_name(organisation.name), organisation.id)

    def organisation_for(self, service: ServiceIn) -> Organisation | None:
        given = service.organisation
        if given is None or not given.name:
            known = given.id if given else service.organisation_id
            return self.organisations.get(known) if known else None
        if given.id_note:
            service.notes.add(given.id_note)
        match = None
        if given.id and given.id in self.organisations:
            match = given.id
        elif given.org_id and given.org_id in self.org_by_org_id:
            match = self.org_by_org_id[given.org_id]
            service.notes.add(
                f"The organisation {given.name!r} has the same identifier ({given.org_id}) as "
                f"{self.organisations[match].name!r} (already in Flourish or earlier in the feed), "
                "so they are treated as one organisation"
            )
        elif normalise_name(given.name) in self.org_by_name:
            match = self.org_by_name[normalise_name(given.name)]
            if given.id and given.id != match:
                service.notes.add(
                    f"The organisation {given.name!r} has the same name as {self.organisations[match].name!r} "
                    "(already in Flourish or earlier in the feed), so they are treated as one organisation"
                )
        if match is None:
            return self._add_organisation(given, service)
        self._update_organisation(self.organisations[match], given, service)
        return self.organisations[match]

    def _add_organisation(self, given: OrganisationIn, service: ServiceIn) -> Organisation:
        organisation_id = given.id or derived_id("organisation", normalise_name(given.name))
        if given.id is None:
            service.notes.add(
                f"The organisation {given.name!r} had no id; Flourish gave it {organisation_id}, made from its name"
            )
        organisation = Organisation(
            id=organisation_id,
            name=given.name,
            role="provider",
            org_id=given.org_id,
            other_org_ids=given.org_ids[1:],
            description=given.description,
            email=given.email,
            website=given.website,
            created_at=self.now,
            updated_at=self.now,
        )
        self.db.add(organisation)
        self._remember(organisation)
        self.handled_organisations.add(organisation.id)
        self.report.organisations[ADDED] += 1
        self._audit(
            "organisation.created",
            "organisation",
            organisation.id,
            after=audit.snapshot(organisation, ORGANISATION_FIELDS),
        )
        return organisation

    def _update_organisation(
        self, organisation: Organisation, given: OrganisationIn, service: ServiceIn
    ) -> None:
        if organisation.id in self.handled_organisations:
            return
        self.handled_organisations.add(organisation.id)
        # The feed only overwrites what it says: list pages carry fewer organisation fields than
        # full services, and an absent email is not a request to delete one.
        values: dict[str, Any] = {}
        if normalise_name(given.name) != normalise_name(organisation.name):
            values["name"] = given.name
        for name in ("description", "email", "website"):
            if getattr(given, name):
                values[name] = getattr(given, name)
        if given.org_id:
            holder = self.org_by_org_id.get(given.org_id)
            if holder in (None, organisation.id):
                values["org_id"] = given.org_id
                values["other_org_ids"] = given.org_ids[1:]
                self.org_by_org_id[given.org_id] = organisation.id
            else:
                service.notes.add(
                    f"The identifier {given.org_id} of {given.name!r} is already that of "
                    f"{self.organisations[holder].name!r}, so it was left out"
                )
        before, after = audit.diff(audit.snapshot(organisation, list(values)), values)
        if not after:
            self.report.organisations[UNCHANGED] += 1
            return
        for name, value in after.items():
            setattr(organisation, name, value)
        organisation.version += 1
        organisation.updated_at = self.now
        self.report.organisations[CHANGED] += 1
        self._audit("organisation.updated", "organisation", organisation.id, before=before, after=after)

    def _place(self, postcode: str) -> tuple[float, float] | None:
        if postcode not in self.places:
            try:
                found = locate(postcode, self.db)
                self.places[postcode] = (found.latitude, found.longitude)
            except PostcodeError:
                self.places[postcode] = None
        return self.places[postcode]

    def _venue_values(self, given: LocationIn, service: ServiceIn) -> dict[str, Any]:
        # The feed's own map position is usually more exact than Flourish's postcode centroids.
        latitude, longitude = given.latitude, given.longitude
        if given.postcode and latitude is None:
            place = self._place(given.postcode)
            if place:
                latitude, longitude = place
            else:
                service.notes.add(
                    f"The postcode {given.postcode} is outside the area Flourish can place on a map, "
                    "so distances to this venue cannot be worked out"
                )
        return {
            "name": given.name,
            "address": given.address,
            "postcode": given.postcode,
            "latitude": latitude,
            "longitude": longitude,
            "step_free": given.step_free or "step_free" in service.features,
            "accessible_toilet": given.accessible_toilet,
            "parking": given.parking,
            "bus_routes": given.bus_routes,
            "how_to_get_there": given.how_to_get_there,
        }

    def venue_for(self, service: ServiceIn, organisation_id: str, existing: dict[str, Venue]) -> str | None:
        given = service.location
        if given is None:
            return None
        if given.id_note:
            service.notes.add(given.id_note)
        if given.id in self.handled_venues:
            return given.id
        values = self._venue_values(given, service)
        venue = existing.get(given.id)
        self.handled_venues[given.id] = venue.organisation_id if venue else organisation_id
        if venue is None:
            self._queue(
                Venue,
                {
                    "id": given.id,
                    "organisation_id": organisation_id,
                    **values,
                    "version": 1,
                    "created_at": self.now,
                    "updated_at": self.now,
                },
            )
            self.report.venues[ADDED] += 1
            self._audit("venue.created", "venue", given.id, after=audit.plain(values))
            return given.id
        if mapping.split_address(venue.address) == mapping.split_address(values["address"]):
            values["address"] = venue.address
        before, after = audit.diff(audit.snapshot(venue, VENUE_FIELDS), audit.plain(values))
        if not after:
            self.report.venues[UNCHANGED] += 1
            return venue.id
        for name in after:
            setattr(venue, name, values[name])
        venue.version += 1
        venue.updated_at = self.now
        self.report.venues[CHANGED] += 1
        self._audit("venue.updated", "venue", venue.id, before=before, after=after)
        return venue.id
