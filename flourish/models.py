"""Importing every table module registers it with SQLModel's metadata (Alembic needs all of them)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "core.audit",
    "core.auth.models",
    "core.auth.totp",
    "core.auth.limits",
    "core.site",
    "core.notifications",
    "directory.models",
    "grants.models",
    "referrals.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
