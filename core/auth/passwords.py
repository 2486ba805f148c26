"""Password hashing (argon2 through pwdlib) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).parent / "common_passwords.txt"

_hasher = PasswordHash((Argon2Hasher(),))
# Verifying against this when the email is unknown keeps sign-in timing the same either way.
_DUMMY_HASH = _hasher.hash("flourish-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash must read as "wrong password", not a crash
        return False


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in COMMON_PASSWORDS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "") -> str | None:
    """What is wrong with a new password, or None if it will do."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words together is easy to remember"
    if len(password) > 200:
        return "Use 200 characters or fewer"
    lowered = password.lower()
    if lowered in _common() or lowered.rstrip("0123456789!") in _common():
        return "That password is too common; choose something less guessable"
    if email and email.split("@")[0].lower() in lowered and len(email.split("@")[0]) >= 4:
        return "Do not include your email name in your password"
    return None
