"""Which history notes the system wrote in both languages ("Chuyển đến … / Forwarded to …"), so a page
shows only the half in its language (:func:`tinhso.core.i18n.half`), and which are a person's own words,
shown as written whatever they hold (a citizen's " / " is theirs).

Decided by how the event is stored, after the code that writes the notes:

- an event of the system (role or label ``system``: auto-assignment, auto-close, SLA steps);
- the actions whose note is always the system's: ``auto_assign`` (:func:`tinhso.reports.routing.forwarded_note`),
  ``join`` (:func:`tinhso.reports.support.join`), ``reissue_secret`` (:mod:`tinhso.reports.citizen_secret`),
  ``erase_contact`` (:mod:`tinhso.reports.retention`);
- ``forward`` and ``merge``, whose note is the system's default when the operator wrote none
  (:func:`tinhso.reports.triage`, :func:`tinhso.reports.duplicates.merge`): only a note that is exactly
  that default (matched below);
- the demo generator's events (:mod:`tinhso.reports.synthetic`): its staff carry the "(mô phỏng)" mark,
  and a synthetic report's citizen is the generator (no one can act as them on the site).
"""

from __future__ import annotations

import re

from tinhso.reports.permissions import CITIZEN, SYSTEM

ALWAYS_SYSTEM = frozenset({"auto_assign", "join", "reissue_secret", "erase_contact"})
_DEFAULTS = {
    "forward": re.compile(r"Chuyển (?:tự động |lại )?đến [^/]+\. / Forwarded (?:automatically |again )?to [^/]+\."),
    "merge": re.compile(r"Trùng với phản ánh [A-Z0-9-]+\. / Duplicate of [A-Z0-9-]+\."),
}


def system_note(action: str, role: str, label: str, note: str, *, synthetic_report: bool = False) -> bool:
    """True when ``note`` is a text the system wrote in both languages (see the module's docstring)."""
    from tinhso.reports.synthetic import SYNTHETIC_SUFFIX

    if not note or " / " not in note:
        return False
    if role == SYSTEM or label == SYSTEM or action in ALWAYS_SYSTEM:
        return True
    if (label or "").endswith(SYNTHETIC_SUFFIX) or (synthetic_report and role == CITIZEN):
        return True
    pattern = _DEFAULTS.get(action)
    return bool(pattern and pattern.fullmatch(note))
