"""Reading form and JSON input into clean values, collecting every problem at once.

Each parser takes the raw text and returns a clean value or raises ValueError with a message
that says what to fix. `FormReader` applies them field by field, so a person sees all their
mistakes together and everything they typed is kept for the form to show again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time
from typing import Any

from core.errors import InvalidInput

MAX_TEXT = 5000


def first(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def as_typed(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The form as typed, repeated fields as lists, for showing it again (the CSRF token left out)."""
    return {k: v for k, v in raw.items() if k != "csrf_token"}


def first_values(raw: Mapping[str, Any]) -> dict[str, str]:
    """The form as typed, a field's first value each, for showing it again (the CSRF token left out)."""
    return {k: first(raw, k) for k in raw if k != "csrf_token"}


def saved_values(record: Any, names: Iterable[str], *, flags: Iterable[str] = ()) -> dict[str, Any]:
    """A saved record's columns as its edit form shows them: as stored, and each flag as a tick
    box sends it ("on" or nothing)."""
    values = {name: getattr(record, name) for name in names}
    return values | {flag: "on" if getattr(record, flag) else "" for flag in flags}


def many(raw: Mapping[str, Any], name: str) -> list[str]:
    value = raw.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return [v if isinstance(v, str) else str(v) for v in value if v not in (None, "")]
    return [value if isinstance(value, str) else str(value)] if value != "" else []


class FormReader:
    """Read fields from a mapping (form data or JSON), remembering errors and typed values."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    def value(
        self,
        name: str,
        parse: Callable[[str], Any],
        *,
        required: bool = True,
        default: Any = None,
        lines: bool = False,
        missing: str | None = None,
    ) -> Any:
        """`missing` says what to do when a required field is left empty ("Enter the amount")."""
        raw = first(self.raw, name)
        # Checked before the spaces around it are trimmed: a line break or control character sent
        # at either end is refused as it would be anywhere else, not silently dropped.
        problem = unstorable(raw, lines=lines)
        if problem:
            self.errors[name] = problem
            return default
        text = raw.strip()
        if not text and has_date_parts(self.raw, name):
            try:
                text = joined_date(self.raw, name)
            except ValueError as exc:
                self.errors[name] = str(exc)
                return default
            if text:
                try:
                    return parse(text)
                except (ValueError, InvalidInput) as exc:
                    message = str(exc) if isinstance(exc, ValueError) else next(iter(exc.errors.values()))
                    # A date given in parts that is no real date is put in the same words.
                    self.errors[name] = (
                        "Enter a real date, for example 27 3 2026" if "year-month-day" in message else message
                    )
                    return default
        if not text:
            if required:
                self.errors[name] = missing or "This is required"
            return default
        try:
            return parse(text)
        except InvalidInput as exc:
            self.errors[name] = next(iter(exc.errors.values()))
        except ValueError as exc:
            self.errors[name] = str(exc)
        return default

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        max_length: int = 200,
        default: str = "",
        lines: bool = False,
    ) -> str:
        """A one-line text field, or with `lines` one that may hold line breaks (a textarea)."""
        return self.value(
            name,
            lambda t: text(t, max_length, lines=lines),
            required=required,
            default=default,
            lines=lines,
        )

    def flag(self, name: str) -> bool:
        """A checkbox ("on" when ticked, absent when not) or a JSON true or false. Any other JSON
        value (a number, a list) is refused rather than guessed at."""
        value = self.raw.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = value[0] if value else ""
        if not isinstance(value, str):
            self.errors[name] = "Send true or false"
            return False
        return value.strip().lower() in {"on", "true", "1", "yes"}

    def choice(
        self,
        name: str,
        choices: Mapping[str, str] | list[str] | tuple[str, ...],
        *,
        required: bool = True,
        default: str | None = None,
        missing: str | None = None,
    ) -> Any:
        return self.value(
            name, lambda t: choice(t, choices), required=required, default=default, missing=missing
        )

    def choices(self, name: str, choices: Mapping[str, str] | list[str] | tuple[str, ...]) -> list[str]:
        picked = []
        for item in many(self.raw, name):
            if item not in choices:
                self.errors.setdefault(name, f"“{item[:40]}” is not one of the options")
            elif item in picked:
                self.errors.setdefault(name, f"“{item}” is chosen twice: choose each option once")
            else:
                picked.append(item)
        return picked

    def check(self, condition: bool, name: str, message: str) -> None:
        if not condition and name not in self.errors:
            self.errors[name] = message

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


#: Control characters no one types: refused everywhere. Line breaks and tabs only where a field
#: may hold several lines; in a title or name they would break calendars, CSV files and pages.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\t\n\r\u2028\u2029\x85]")


#: The same rules as patterns, for the API's schema (written for any regular expression engine,
#: so without `\\s`, which engines read differently): text with no control characters, on one
#: line or on several, and, where it is required, something other than spaces in it.
_ONE_LINE = r"\x00-\x1f\x7f\x85\u2028\u2029"
_LINES = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: Every character str.strip() removes, besides the control characters above.
_SPACES = r"\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SHOWN = rf"[^\x00-\x1f\x7f{_SPACES}]"
ONE_LINE_PATTERN = rf"^[^{_ONE_LINE}]*$"
LINES_PATTERN = rf"^[^{_LINES}]*$"
FILLED_LINE_PATTERN = rf"^[^{_ONE_LINE}]*{_SHOWN}[^{_ONE_LINE}]*$"
FILLED_LINES_PATTERN = rf"^[^{_LINES}]*{_SHOWN}[^{_LINES}]*$"


def unstorable(value: str, *, lines: bool = False) -> str | None:
    """What is wrong with text that holds a control character (or, on one line, a line break or
    tab), or None."""
    if _CONTROL.search(value):
        return "This contains characters that cannot be stored: remove any invisible control characters"
    if not lines and _LINE_BREAK.search(value):
        return "Keep this to one line: remove the line breaks or tabs"
    return None


def text(value: str, max_length: int = 200, *, lines: bool = False) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"Keep this to {max_length} characters or fewer (it is {len(value)})")
    problem = unstorable(value, lines=lines)
    if problem:
        raise ValueError(problem)
    return value


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(value: str) -> int:
        value = value.strip()
        if not re.fullmatch(r"[+-]?\d{1,9}", value):
            raise ValueError("Enter a whole number, like 12")
        # Parsed as matched: around a number, int() refuses \x1c to \x1f, which strip() removes.
        number = int(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"Enter {minimum} or more")
        if maximum is not None and number > maximum:
            raise ValueError(f"Enter {maximum} or less")
        return number

    return parse


def clock_time(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", value.strip())
    if not match:
        raise ValueError("Enter a time like 10:30 (24-hour clock)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError("Enter a real time between 00:00 and 23:59")
    return time(hour, minute)


DATE_PARTS = ("day", "month", "year")


def has_date_parts(raw: Mapping[str, Any], name: str) -> bool:
    """Whether a date came as day, month and year boxes (GOV.UK's date input)."""
    return any(f"{name}-{part}" in raw for part in DATE_PARTS)


def joined_date(raw: Mapping[str, Any], name: str) -> str:
    """The date typed in day, month and year boxes as year-month-day; "" when all are empty.
    Raises ValueError naming what is missing or not a number."""
    parts = {part: first(raw, f"{name}-{part}").strip() for part in DATE_PARTS}
    if not any(parts.values()):
        return ""
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        raise ValueError(f"The date must include a {' and '.join(missing)}")
    if not all(re.fullmatch(r"\d{1,4}", value) for value in parts.values()):
        raise ValueError("Enter the day, month and year as numbers, for example 27 3 2026")
    if len(parts["year"]) != 4:
        raise ValueError("Enter the year as 4 numbers, for example 2026")
    return f"{parts['year']}-{int(parts['month']):02d}-{int(parts['day']):02d}"


def calendar_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("Enter a date like 2026-04-01 (year-month-day)") from None


def choice(value: str, choices: Mapping[str, str] | list[str] | tuple[str, ...]) -> str:
    if value not in choices:
        options = list(choices.values()) if isinstance(choices, Mapping) else list(choices)
        shown = ", ".join(str(o) for o in options[:8])
        raise ValueError(f"Choose one of: {shown}")
    return value


#: An address as the HTML standard defines a valid one (what a browser's email field accepts),
#: with at least one dot after the @. Nothing that could close a quote or open a tag gets through.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$"


def email(value: str) -> str:
    value = value.strip()
    if len(value) > 320 or not re.fullmatch(EMAIL_PATTERN, value):
        raise ValueError("Enter an email address like name@example.org")
    return value.lower()


def phone(value: str) -> str:
    digits = re.sub(r"[\s()+-]", "", value)
    # Not str.isdigit, which passes superscripts: a number someone can dial.
    if not re.fullmatch(r"[0-9]{10,13}", digits):
        raise ValueError("Enter a phone number like 01709 123456")
    return value.strip()


def web_address(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"https?://[^\s/$.?#].[^\s]*", value) or len(value) > 500:
        raise ValueError("Enter a web address starting with https://")
    return value
