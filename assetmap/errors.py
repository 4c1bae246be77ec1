"""Errors a user sees.

Every message that reaches a person (CLI stderr, a flash on a page, an API error body)
comes from one of these classes, so wording stays consistent and tests can match on type.
"""
from __future__ import annotations


class AssetMapError(Exception):
    """Anything AssetMap reports to its user (CLI exit status 1)."""

    exit_code = 1


class InputError(AssetMapError):
    """Bad input: names the file, row and field so the user can fix it (exit status 2).

    ``row`` counts data rows from 1 (a header is row 0), or is None when the whole file
    or a whole column is at fault.
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None):
        self.file = None if file is None else str(file)
        self.row = row
        self.field = field
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def as_dict(self) -> dict:
        return {"error": self.message, "file": self.file, "row": self.row, "field": self.field}


class InputErrors(InputError):
    """Several bad rows found in one pass; the first is the headline, all are listed."""

    def __init__(self, errors: list[InputError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=first.file, row=first.row, field=first.field)

    def __str__(self) -> str:
        lines = [InputError.__str__(e) for e in self.errors[:20]]
        more = len(self.errors) - 20
        if more > 0:
            lines.append(f"... and {more} more")
        return "\n".join(lines)


class NotFound(AssetMapError):
    """A record, area or run that does not exist."""


class ConflictError(AssetMapError):
    """An edit based on an out-of-date version (optimistic locking)."""


class PermissionDenied(AssetMapError):
    """The signed-in user's role does not allow this."""


class NoData(AssetMapError):
    """The store lacks what a step needs (e.g. analyse before any import, export before any
    analysis): nothing to work on, which the CLI treats as bad input (exit status 2)."""

    exit_code = 2
