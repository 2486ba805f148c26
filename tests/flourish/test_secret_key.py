"""Without SECRET_KEY, one key is made on first start and kept, and workers starting together
all use it: otherwise a form served by one worker would be refused by another."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from core import settings
from core.settings import SettingsError


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    return tmp_path


def test_workers_starting_together_agree_on_one_whole_key(var):
    with ThreadPoolExecutor(max_workers=16) as pool:
        keys = set(pool.map(lambda _: settings._secret_key(), range(64)))
    assert len(keys) == 1
    [key] = keys
    assert len(key) >= 32
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert [p.name for p in var.iterdir()] == ["secret_key"]


def test_the_key_survives_a_restart(var):
    assert settings._secret_key() == settings._secret_key()


def test_a_short_secret_key_is_refused_with_the_rule(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(SettingsError, match="at least 32 characters"):
        settings._secret_key()
