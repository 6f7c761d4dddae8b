"""Init and demo steps of the indicators app (called by ``tinhso init`` / ``tinhso demo``)."""

from __future__ import annotations

from tinhso.core.demo_accounts import demo_url
from tinhso.indicators import datafiles


def init(out=print) -> None:
    """Threshold sets as data: the default set must exist before any assessment."""
    datafiles.ensure_thresholds()


def load_demo(out=print) -> None:
    """Bình Thuận Resolution 10 with its targets and reported figures; Điện Biên and Phú Thọ figures."""
    counts = datafiles.load_demo_files(out)
    out(f"Plan indicators / Chỉ tiêu kế hoạch: bt-nq10-2022 loaded; observations created {counts['created']}, "
        f"revised {counts['revised']}, already present {counts['unchanged']}  →  {demo_url('/ke-hoach/bt-nq10-2022')}")
