"""Settings read from the environment, strict about values that make no sense."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class SettingsError(ValueError):
    """A setting in the environment has a value Flourish cannot use."""


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _secret_key() -> str:
    """SECRET_KEY, or one generated once and kept in var/ so restarts and workers share it."""
    if key := os.environ.get("SECRET_KEY"):
        if len(key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters long")
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Written whole to a file of its own, then linked into place: os.link fails if the key is
        # already there, so two workers starting together agree on one key and never read half.
        fd, draft = tempfile.mkstemp(dir=VAR_DIR, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'flourish.db'}"


@dataclass(frozen=True)
class Settings:
    #: SQLAlchemy URL: an SQLite file (default) or postgresql+psycopg://... for several workers.
    database_url: str = field(default_factory=default_database_url)
    #: Where `flourish serve` listens.
    host: str = "127.0.0.1"
    port: int = 8000
    #: Number of server processes for `flourish serve`.
    workers: int = 1
    #: Signs CSRF tokens and flash messages.
    secret_key: str = ""
    #: "database" keeps sessions in the database; a redis:// URL keeps them in Redis.
    session_store: str = "database"
    #: Minutes without a request after which a sign-in ends.
    session_idle_minutes: int = 30
    #: Hours after which a sign-in ends however active it is.
    session_max_hours: int = 12
    #: Mark cookies Secure and send HSTS: set when served over HTTPS.
    https: bool = False
    #: Failed sign-ins for one email within the window before further tries are refused.
    sign_in_max_failures: int = 5
    #: Failed tries from one client address within the window (many people may share an office's).
    sign_in_max_failures_per_address: int = 50
    sign_in_window_minutes: int = 15
    #: Months after a referral closes before the person's identifying details are erased.
    retention_months: int = 24
    #: Log as one JSON object per line.
    log_json: bool = False
    #: Seconds a request may take before it is answered "That took too long" (503) and its changes are dropped.
    request_timeout_seconds: int = 30
    #: Show exception details in responses; never in production.
    debug: bool = False
    #: The mail server for reminders and cancellation emails; empty writes them to the log instead.
    smtp_host: str = ""
    smtp_port: int = 587
    #: Sign in to the mail server with these, when both are set.
    smtp_user: str = ""
    smtp_password: str = ""
    #: Use STARTTLS on the connection (on unless SMTP_STARTTLS=false, e.g. for a local relay).
    smtp_starttls: bool = True
    #: Who emails come from.
    mail_from: str = "Flourish <no-reply@flourish.invalid>"
    #: The publisher prefix 360Giving issued to VAR: grant ids in the open data are 360G-<prefix>-….
    grants_360g_prefix: str = "var-flourish"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def statement_timeout_ms(self) -> int:
        """PostgreSQL cancels a statement a little before the request would time out, so the
        database gives up (and rolls back) first and the person gets an answer that says so."""
        seconds = self.request_timeout_seconds
        return max(500, seconds * 1000 - min(2000, seconds * 100))


def load_settings() -> Settings:
    """Build settings from the environment; raises SettingsError naming the bad variable."""
    session_store = os.environ.get("SESSION_STORE", "database").strip() or "database"
    if session_store != "database" and not session_store.startswith(("redis://", "rediss://")):
        raise SettingsError("SESSION_STORE must be 'database' or a redis:// URL")
    return Settings(
        database_url=normalise_database_url(os.environ.get("DATABASE_URL") or default_database_url()),
        host=os.environ.get("HOST", "127.0.0.1") or "127.0.0.1",
        port=_env_int("PORT", 8000, minimum=1),
        workers=_env_int("WORKERS", 1, minimum=1),
        secret_key=_secret_key(),
        session_store=session_store,
        session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 30, minimum=1),
        session_max_hours=_env_int("SESSION_MAX_HOURS", 12, minimum=1),
        https=_env_bool("HTTPS", False),
        sign_in_max_failures=_env_int("SIGN_IN_MAX_FAILURES", 5, minimum=1),
        sign_in_max_failures_per_address=_env_int("SIGN_IN_MAX_FAILURES_PER_ADDRESS", 50, minimum=1),
        sign_in_window_minutes=_env_int("SIGN_IN_WINDOW_MINUTES", 15, minimum=1),
        retention_months=_env_int("RETENTION_MONTHS", 24, minimum=1),
        log_json=_env_bool("LOG_JSON", False),
        request_timeout_seconds=_env_int("REQUEST_TIMEOUT_SECONDS", 30, minimum=1),
        debug=_env_bool("DEBUG", False),
        smtp_host=os.environ.get("SMTP_HOST", "").strip(),
        smtp_port=_env_int("SMTP_PORT", 587, minimum=1),
        smtp_user=os.environ.get("SMTP_USER", "").strip(),
        smtp_password=os.environ.get("SMTP_PASSWORD", ""),
        smtp_starttls=_env_bool("SMTP_STARTTLS", True),
        mail_from=os.environ.get("MAIL_FROM", "").strip() or "Flourish <no-reply@flourish.invalid>",
        grants_360g_prefix=_env_360g_prefix(),
    )


def _env_360g_prefix() -> str:
    raw = os.environ.get("GRANTS_360G_PREFIX", "").strip()
    if not raw:
        return "var-flourish"
    prefix = raw.removeprefix("360G-")
    if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", prefix) or len(prefix) > 40:
        raise SettingsError(
            f"GRANTS_360G_PREFIX must be letters and digits, joined by single dashes (like var-flourish), not {raw!r}"
        )
    return prefix


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and point them at psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite", "postgresql+psycopg://")):
        raise SettingsError("DATABASE_URL must be an sqlite:/// or postgresql:// URL")
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
