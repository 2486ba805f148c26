"""Grant allocations, drawdown requests and the ledger that records every movement."""
