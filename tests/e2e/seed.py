"""A small, known world for the browser tests, written into the database of ``TINHSO_VAR_DIR``.

Run after ``tinhso init`` (the e2e fixture does): ``python tests/e2e/seed.py FACTS.json``.
Creates (idempotently) an auto-forwarded test category, the People's Committees of two wards
of Lâm Đồng with a handler each, an IOC operator, and one report already assigned to the
*other* ward (for the 404 check); writes the facts the tests need (users, passwords, the wards'
centroids, that report's code) to FACTS.json. Passwords are random per run.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sys


def main(out_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from PIL import Image

    from tinhso.geo import boundaries
    from tinhso.geo.models import Unit
    from tinhso.reports.intake import submit_report
    from tinhso.reports.models import Category, HandlingUnit, Membership, Role, RoutingRule, UnitKind

    boundaries.ensure_active(out=lambda *a, **k: None)
    wards = {key: Unit.objects.get(structure="current", level="commune", province_code="68", name=name)
             for key, name in (("phan_thiet", "Phường Phan Thiết"), ("mui_ne", "Phường Mũi Né"))}
    category, _ = Category.objects.update_or_create(
        code="e2e-ve-sinh",
        defaults={"name_vi": "Vệ sinh môi trường (kiểm thử)", "name_en": "Sanitation (test)", "active": True,
                  "auto_forward": True, "order": 1},
    )
    # A category the IOC verifies and forwards by hand (the notification journey).
    manual, _ = Category.objects.update_or_create(
        code="e2e-giao-thong",
        defaults={"name_vi": "Giao thông (kiểm thử)", "name_en": "Traffic (test)", "active": True,
                  "auto_forward": False, "order": 2},
    )
    User = get_user_model()
    facts: dict = {"category": category.code, "manual_category": manual.code, "wards": {}, "users": {}}
    for key, ward in wards.items():
        unit = HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune=ward).first()
        if unit is None:
            unit = HandlingUnit.objects.create(code=f"e2e-{key.replace('_', '-')}", name=f"UBND {ward.name}",
                                               kind=UnitKind.COMMUNE_COMMITTEE, commune=ward)
        # Pin the route so demo routing rules loaded by other apps cannot send it elsewhere.
        RoutingRule.objects.update_or_create(name=f"e2e {key}", defaults={
            "order": 0, "category": category, "commune": ward, "target": unit, "active": True})
        facts["wards"][key] = {"name": ward.name, "lat": ward.lat, "lon": ward.lon, "unit": unit.name,
                               "unit_code": unit.code}
        facts["users"][f"handler_{key}"] = _user(User, f"e2e-handler-{key}", Role.HANDLER, unit, Membership)
    facts["users"]["operator"] = _user(User, "e2e-operator", Role.OPERATOR, None, Membership)
    # Two province-wide planners: one enters a plan figure, the other approves it.
    facts["users"]["planner_enter"] = _user(User, "e2e-planner-enter", Role.PLANNER, None, Membership)
    facts["users"]["planner_approve"] = _user(User, "e2e-planner-approve", Role.PLANNER, None, Membership)
    from tinhso.indicators import datafiles
    from tinhso.indices import published

    datafiles.load_demo_files(lambda *a, **k: None)  # the real plan figures (sourced) for the plan board

    published.load_demo()  # sourced published ranks for the wall's rank history

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(buffer, "PNG")
    other = submit_report(category=category.code, description="Rác thải ven biển Mũi Né (kiểm thử).",
                          lat=wards["mui_ne"].lat, lon=wards["mui_ne"].lon, photos=[buffer.getvalue()], reporter_name="Người thử",
                          reporter_phone="0900000001")
    facts["other_report"] = other.report.code
    # Reports waiting for the IOC (a category forwarded by hand): the operator's queue test.
    facts["queue_reports"] = [
        submit_report(category=manual.code, description=f"Ổ gà trên đường số {i} (kiểm thử hàng đợi).",
                      lat=wards["phan_thiet"].lat + i * 0.001, lon=wards["phan_thiet"].lon,
                      reporter_name="Người thử", reporter_phone="0900000002").report.code
        for i in range(1, 5)]
    facts["other_unit"] = other.report.handling_unit.name if other.report.handling_unit_id else None
    # The monthly analysis (/phan-tich): synthetic reports dated before this month (this month's pages keep
    # their own numbers) and last month's archived report for the province and Phan Thiết's committee.
    import datetime as dt

    from django.utils import timezone

    from tinhso.analysis import headline
    from tinhso.analysis import report as monthly
    from tinhso.ioc import aggregates
    from tinhso.reports import synthetic

    first = timezone.localdate().replace(day=1)
    synthetic.generate(150, seed=1313, out=lambda *a, **k: None,
                       now=dt.datetime.combine(first, dt.time(0), tzinfo=aggregates.local_tz()) - dt.timedelta(hours=1))
    aggregates.rebuild()
    month = headline.shift(first, -1)
    for code in (None, facts["wards"]["phan_thiet"]["unit_code"]):
        monthly.generate(month, code)
    facts["analysis_month"] = headline.label(month)
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(facts, fh, ensure_ascii=False, indent=1)


def _user(User, username: str, role: str, unit, Membership) -> dict:
    password = secrets.token_urlsafe(12)
    user, _ = User.objects.get_or_create(username=username)
    user.email = f"{username}@example.org"
    user.set_password(password)
    user.save()
    Membership.objects.get_or_create(user=user, role=role, unit=unit)
    return {"username": username, "password": password}


if __name__ == "__main__":
    main(sys.argv[1])
