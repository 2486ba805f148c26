import pytest

from tests.factories import make_allocation


@pytest.fixture
def grant(db, personas):
    """Organisation A's grant for 2026–27: £10,000."""
    return make_allocation(db, personas.org_a, amount_pence=1_000_000, by=personas.var_manager)


@pytest.fixture
def grant_b(db, personas):
    """Organisation B's grant for 2026–27: £8,000."""
    return make_allocation(db, personas.org_b, amount_pence=800_000, by=personas.var_manager)
