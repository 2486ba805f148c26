"""Tries at a password are counted atomically, per account and per client address, on both
databases; and no password is checked while holding SQLite's write lock."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from core.auth import services
from core.auth.limits import Limits
from core.auth.services import SignInRefused, check_password
from tests.concurrency import at_once
from tests.factories import PASSWORD, make_user

LIMITS = Limits(per_account=5, per_address=8, window=timedelta(minutes=15))


def _together(attempts):
    """Run every attempt at the same moment; each answers 'signed in', 'wrong' or 'too many'."""
    return [_answer(outcome) for outcome in at_once(attempts, seconds=120)]


def _answer(outcome):
    if isinstance(outcome, SignInRefused):
        return "too many" if outcome.throttled else "wrong"
    return outcome if isinstance(outcome, Exception) else "signed in"


def test_fifteen_tries_at_once_check_no_more_passwords_than_the_limit(database, db):
    user = make_user(db, "link_worker")
    db.commit()
    tries = [lambda: check_password(database, LIMITS, user.email, "wrong guess", address=None)] * 14
    tries.append(lambda: check_password(database, LIMITS, user.email, PASSWORD, address=None))

    answers = _together(tries)

    checked = [a for a in answers if a != "too many"]
    assert len(checked) <= LIMITS.per_account, answers
    assert answers.count("too many") >= len(tries) - LIMITS.per_account
    if "signed in" not in answers:
        # The limit was reached by wrong guesses: the right password waits too.
        with pytest.raises(SignInRefused) as refused:
            check_password(database, LIMITS, user.email, PASSWORD, address=None)
        assert refused.value.throttled


def test_one_address_trying_many_accounts_is_stopped_at_its_own_limit(database, db):
    users = [make_user(db, "link_worker") for _ in range(12)]
    db.commit()
    tries = [
        lambda email=u.email: check_password(database, LIMITS, email, "wrong guess", address="203.0.113.9")
        for u in users
    ]

    answers = _together(tries)

    assert answers.count("wrong") == LIMITS.per_address
    assert answers.count("too many") == len(users) - LIMITS.per_address
    # Another address is not held up by it.
    with pytest.raises(SignInRefused) as other:
        check_password(database, LIMITS, users[0].email, "wrong guess", address="198.51.100.4")
    assert not other.value.throttled


def test_the_password_is_checked_holding_no_write_lock(database, db, monkeypatch):
    if not database.is_sqlite:
        pytest.skip(
            "the write lock is SQLite's; PostgreSQL locks rows, and sign-in writes none while checking"
        )
    user = make_user(db, "link_worker")
    db.commit()
    could_write: list[bool] = []
    real_verify = services.verify_password

    def verify_while_someone_writes(password, hashed):
        # An unrelated coordinator's write, made while the password is being checked.
        other = sqlite3.connect(database.url.removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            could_write.append(True)
        except sqlite3.OperationalError:
            could_write.append(False)
        finally:
            other.close()
        return real_verify(password, hashed)

    monkeypatch.setattr(services, "verify_password", verify_while_someone_writes)
    with pytest.raises(SignInRefused):
        check_password(database, LIMITS, user.email, "wrong guess", address="192.0.2.1")
    check_password(database, LIMITS, user.email, PASSWORD, address="192.0.2.1")

    assert could_write == [True, True]


def test_people_signing_in_from_one_office_do_not_use_up_its_allowance(database, db):
    users = [make_user(db, "link_worker") for _ in range(LIMITS.per_address + 4)]
    db.commit()
    for user in users:
        assert check_password(database, LIMITS, user.email, PASSWORD, address="203.0.113.50").id == user.id
