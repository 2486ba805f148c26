"""Domain errors. Services raise these; views turn them into a 4xx with words that help."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """One or more fields need fixing. `errors` maps field name to what to fix."""

    status_code = 400

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or "Please check the highlighted answers.")
        self.errors = errors


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request was fine but the world has moved on: the session filled, someone else
    edited the record, the request was already decided."""

    status_code = 409


class StaleEdit(Conflict):
    def __init__(self, what: str = "this record") -> None:
        super().__init__(
            f"Someone else changed {what} after you opened it. Their version is shown; "
            "your changes are kept below so you can apply them again."
        )


class Forbidden(DomainError):
    status_code = 403


def found(record: T | None, what: str) -> T:
    """The record looked for, or a refusal that names what could not be found."""
    if record is None:
        raise NotFound(f"We could not find that {what}.")
    return record
