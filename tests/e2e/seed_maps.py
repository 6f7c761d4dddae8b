"""Published reports for the map browser tests (``tests/e2e/test_citizen_maps_e2e.py``).

Run against the e2e server's database (``TINHSO_VAR_DIR``) after ``seed.py``:
``python tests/e2e/seed_maps.py FACTS.json``. Submits reports through the real intake near the two
seeded wards, then marks them checked and published (what an operator's verification does for the
public list; no state change, so the IOC wall's aggregates stay true). Writes the codes to
FACTS.json; does nothing when that file exists.
"""

from __future__ import annotations

import json
import os
import sys

MARK = "bản đồ e2e"


def main(out_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.utils import timezone

    from tinhso.geo.models import Unit
    from tinhso.reports.intake import submit_report
    from tinhso.reports.models import Report

    if os.path.exists(out_path):
        return
    wards = {key: Unit.objects.get(structure="current", level="commune", province_code="68", name=name)
             for key, name in (("phan_thiet", "Phường Phan Thiết"), ("mui_ne", "Phường Mũi Né"))}
    now = timezone.now()
    codes: dict = {"phan_thiet": [], "mui_ne": []}
    rows = [("phan_thiet", 0.0004 * i, f"Rác thải tràn ra đường ({MARK} {i})") for i in range(4)]
    rows += [("mui_ne", 0.0005 * i, f"Cây đổ chắn lối đi ({MARK} mũi né {i})") for i in range(3)]
    for key, offset, text in rows:
        ward = wards[key]
        report = submit_report(category="e2e-ve-sinh", description=text, lat=ward.lat + offset, lon=ward.lon,
                               reporter_name="Người gửi bí mật", reporter_phone="0900000099").report
        Report.objects.filter(pk=report.pk).update(public=True, verified_at=now)
        codes[key].append(report.code)
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(codes, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
