"""The Jinja environment: where templates live and the filters pages use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup, escape

from core import clock
from core.audit import Actor
from core.auth.roles import ROLE_LABELS, Role
from core.middleware import page_token, request_state
from core.money import format_pence, pence_to_input
from core.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = Path(__file__).parent / "static"
HTMX_FILE = STATIC_DIR / "vendor" / "htmx.min.js"


def london_date(value: date | datetime | None, style: str = "long") -> str:
    """'Tuesday 3 March 2026' (long), '3 Mar' (short), '3 March 2026' (plain)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_london(value).date()
    if style == "short":
        return f"{value.day} {value:%b}"
    if style == "plain":
        return f"{value.day} {value:%B %Y}"
    if style == "day":
        return f"{value:%A} {value.day} {value:%B}"
    return f"{value:%A} {value.day} {value:%B %Y}"


def london_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = clock.to_london(value)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def clock_time(value: time | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


def form_token_field(request: Any) -> Markup:
    token = page_token(request.scope)
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


def form_token(request: Any) -> str:
    return page_token(request.scope)


def current_user(request: Any) -> Actor | None:
    user = request.scope.get("user")
    return user if isinstance(user, Actor) and user.signed_in else None


#: The roles with a notices page (commissioners see aggregates only, never a person).
NOTICE_ROLES = frozenset({Role.LINK_WORKER, Role.COORDINATOR, Role.VAR_MANAGER, Role.ADMIN})


def unread_notices(request: Any) -> int | None:
    """How many notices the signed-in person has not read, for the header; None where their
    role has no notices."""
    from core.notifications import unread_count_statement

    user = current_user(request)
    database = getattr(request.app.state, "database", None)
    if user is None or user.user_id is None or user.role not in NOTICE_ROLES or database is None:
        return None
    rows = database.read_now(unread_count_statement(user.user_id))
    return int(rows[0][0]) if rows else 0


def demonstration_data(request: Any) -> bool:
    """Whether this site holds demonstration data, so every page says so."""
    flag = getattr(request.app.state, "demonstration", None)
    return bool(flag)


def take_flash(request: Any) -> str | None:
    state = request_state(request.scope)
    if state.get("flash_out"):
        return None  # a redirect is pending; the message belongs to the next page
    state["flash_consumed"] = True
    return state.get("flash_in")


def role_label(role: str | None) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role or ""


def possessive(name: str) -> str:
    """“Maureen’s”, and “Rother Valley Growers’” for a name ending in s."""
    name = str(name)
    return f"{name}’" if name.endswith(("s", "S")) else f"{name}’s"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def breakdown_rows(breakdown: dict[str, float]) -> Markup:
    """Table rows naming each part of a score and its value. Made here rather than in the
    template, and with plain string formatting rather than `Markup.format` (which escapes through
    a formatter written in Python): eight results of nine parts each were most of the matching
    page's rendering. Names are escaped once each; a formatted float needs no escaping."""
    return Markup(  # noqa: S704 - every part is escaped above or is a formatted number
        "".join(
            f'<tr><th scope="row">{_part_name(name)}</th><td class="num">{_score(value)}</td></tr>'
            for name, value in breakdown.items()
        )
    )


def _score(value: float) -> str:
    """Three places, and never "-0.000" for a part that is nothing."""
    text = f"{float(value):.3f}"
    return "0.000" if text == "-0.000" else text


@lru_cache(maxsize=64)
def _part_name(name: str) -> str:
    return str(escape(name.replace("_", " ").capitalize()))


def _by_own_name(*functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """Templates call these functions by the names they have here."""
    return {function.__name__: function for function in functions}


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change with a release, not while serving: restart to see an edited template.
        auto_reload=False,
    )
    env.filters.update(
        _by_own_name(london_date, london_datetime, clock_time, role_label, possessive, breakdown_rows),
        pounds=format_pence,
        pounds_input=pence_to_input,
    )
    env.globals.update(
        _by_own_name(
            form_token_field, form_token, current_user, demonstration_data, unread_notices, take_flash, plural
        ),
        htmx_available=HTMX_FILE.exists(),
        Role=Role,
    )
    return env


def make_template_engine() -> JinjaTemplateEngine:
    return JinjaTemplateEngine.from_environment(make_environment())
