"""The half of a bilingual message in the reader's language (the inbox page).

Message templates are written Vietnamese first, then English: the subject as ``"[code] Tiếng Việt /
English"``, the body as the Vietnamese text, a line ``---``, the English text. A message rendered by
:func:`tinhso.notify.outbox.render` stores where its halves are (``Message.halves``), so a note
quoted in it, whatever it holds, is never cut. Rows written before that (``halves`` empty) are split
only where the split is certain: a subject with exactly one ``" / "`` and a body with exactly one
``---`` line; anything else is shown whole.
"""

from __future__ import annotations

import re

_BODY_SEPARATOR = re.compile(r"\n[ \t]*---[ \t]*\n")
_CODE_PREFIX = re.compile(r"\[[^\]\s]+\] ")


def _english(language: str | None) -> bool:
    return (language or "vi").lower().startswith("en")


def _stored(text: str, halves, english: bool) -> str | None:
    """The half ``halves`` (as stored) points at, or None when it does not fit the text."""
    if not isinstance(halves, list) or len(halves) < 2 or not all(isinstance(n, int) for n in halves):
        return None
    vi_end, en_start = halves[0], halves[1]
    if not 0 < vi_end <= en_start < len(text):
        return None
    if text[vi_end:en_start].strip() not in ("/", "---"):
        return None
    if not english:
        return text[:vi_end].strip()
    prefix = halves[2] if len(halves) > 2 and 0 <= halves[2] <= vi_end else 0
    return (text[:prefix] + text[en_start:]).strip()


def subject_in(subject: str, halves, language: str | None) -> str:
    english = _english(language)
    found = _stored(subject, halves, english)
    if found is not None:
        return found
    parts = subject.split(" / ")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return subject
    vi, en = parts[0].strip(), parts[1].strip()
    if not english:
        return vi
    code = _CODE_PREFIX.match(vi)
    return f"{code.group()}{en}" if code and not en.startswith("[") else en


def body_in(body: str, halves, language: str | None) -> str:
    english = _english(language)
    found = _stored(body, halves, english)
    if found is not None:
        return found
    parts = _BODY_SEPARATOR.split(body)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return body
    return parts[1].strip() if english else parts[0].strip()


def message_in(message, language: str | None) -> tuple[str, str]:
    """(subject, body) of ``message`` in ``language``."""
    halves = message.halves if isinstance(message.halves, dict) else {}
    return (subject_in(message.subject, halves.get("subject"), language),
            body_in(message.body, halves.get("body"), language))
