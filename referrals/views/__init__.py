"""Pages for link workers, coordinators, VAR and commissioners: caseloads and referrals, the
matching page, registers, well-being outcomes and reports."""
