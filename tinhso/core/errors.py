"""Errors shown to users: a stable code, a Vietnamese message and an English one.

Services raise :class:`UserError`; the API turns it into a 4xx JSON body, the CLI prints it and
exits non-zero, never a traceback.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A problem with what the user gave us, explained in both languages."""

    def __init__(
        self,
        code: str,
        message_vi: str,
        message_en: str,
        *,
        field: str | None = None,
        status: int = 400,
        details: Any = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.field = field
        self.status = status
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message_vi, "message_en": self.message_en}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}{where}: {self.message_vi} / {self.message_en}"
