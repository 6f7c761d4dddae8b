"""Init and demo steps of the dossiers app, called by ``tinhso init`` / ``tinhso demo``.

``init`` writes the agencies of the province (its departments that handle administrative procedures
and one People's Committee per current commune of the registry); ``load_demo`` adds a synthetic
procedure catalogue (codes ``DEMO.*``, flagged synthetic), synthetic supplied values, 2,000 synthetic
PAKN, and about
200,000 synthetic dossiers over the last twelve months, imported through the ordinary import path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tinhso.dossiers.models import Agency, AgencyKind, AgencyMember, DossierImport, Procedure, SuppliedValue

# Departments of a province after the 2025 reorganisation that receive procedure dossiers.
DEPARTMENTS = [
    ("so-noi-vu", "Sở Nội vụ", "Department of Home Affairs"),
    ("so-tu-phap", "Sở Tư pháp", "Department of Justice"),
    ("so-tai-chinh", "Sở Tài chính", "Department of Finance"),
    ("so-cong-thuong", "Sở Công Thương", "Department of Industry and Trade"),
    ("so-nong-nghiep-moi-truong", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("so-xay-dung", "Sở Xây dựng", "Department of Construction"),
    ("so-khoa-hoc-cong-nghe", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("so-giao-duc-dao-tao", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("so-y-te", "Sở Y tế", "Department of Health"),
    ("so-van-hoa-the-thao-du-lich", "Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism"),
    ("so-dan-toc-ton-giao", "Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
    ("van-phong-ubnd-tinh", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee"),
]

# Synthetic catalogue: (code suffix, name, field, online level, legal time, unit, fee, paper result, subjects)
DEPARTMENT_PROCEDURES = {
    "so-tu-phap": [("LLTP", "Cấp Phiếu lý lịch tư pháp", "Lý lịch tư pháp", "full", 10, "working_days", True, True, "citizens")],
    "so-xay-dung": [("GPXD", "Cấp giấy phép xây dựng", "Xây dựng", "partial", 15, "working_days", True, True, "both")],
    "so-nong-nghiep-moi-truong": [("GCN", "Cấp Giấy chứng nhận quyền sử dụng đất", "Đất đai", "partial", 20,
                                   "working_days", True, True, "both")],
    "so-tai-chinh": [("DKKD", "Đăng ký thành lập doanh nghiệp", "Đăng ký kinh doanh", "full", 3, "working_days",
                      False, False, "organisations")],
    "so-y-te": [("CCHN", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "Khám bệnh, chữa bệnh", "partial", 20,
                 "working_days", True, True, "citizens")],
    "so-giao-duc-dao-tao": [("VB", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Văn bằng, chứng chỉ", "full", 5,
                             "working_days", False, True, "citizens")],
    "so-cong-thuong": [("RUOU", "Cấp giấy phép bán lẻ rượu", "Lưu thông hàng hóa", "full", 10, "working_days",
                        True, True, "organisations")],
    "so-noi-vu": [("TDKT", "Tặng Bằng khen của Chủ tịch UBND tỉnh", "Thi đua, khen thưởng", "partial", 20,
                   "working_days", False, True, "both")],
    "so-khoa-hoc-cong-nghe": [("BCVT", "Cấp giấy phép bưu chính", "Bưu chính", "full", 15, "working_days", True, True,
                               "organisations")],
    "so-van-hoa-the-thao-du-lich": [("LH", "Cấp giấy phép kinh doanh lữ hành nội địa", "Lữ hành", "full", 10,
                                     "working_days", True, True, "organisations")],
    "so-dan-toc-ton-giao": [("TG", "Đăng ký sinh hoạt tôn giáo tập trung", "Tôn giáo", "partial", 20, "working_days",
                             False, True, "citizens")],
    "van-phong-ubnd-tinh": [("TT", "Tiếp nhận yêu cầu giải trình", "Kiểm soát TTHC", "partial", 15, "working_days",
                             False, False, "both")],
}
COMMUNE_PROCEDURES = [
    ("KS", "Đăng ký khai sinh", "Hộ tịch", "full", 1, "working_days", False, True, "citizens"),
    ("KH", "Đăng ký kết hôn", "Hộ tịch", "partial", 5, "working_days", False, True, "citizens"),
    ("CT", "Chứng thực bản sao từ bản chính", "Chứng thực", "partial", 4, "working_hours", True, True, "citizens"),
    ("HN", "Cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", "full", 3, "working_days", True, True, "citizens"),
    ("HKD", "Đăng ký thành lập hộ kinh doanh", "Đăng ký kinh doanh", "full", 3, "working_days", True, True, "both"),
    ("BTXH", "Trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", "partial", 10, "working_days", False, False, "citizens"),
]

PROCEDURE_NAMES_EN = {
    "LLTP": "Issuing a criminal record certificate", "GPXD": "Issuing a construction permit",
    "GCN": "Issuing a land use right certificate", "DKKD": "Registering a new enterprise",
    "CCHN": "Issuing a medical practice certificate", "VB": "Issuing copies of diplomas and certificates from the register",
    "RUOU": "Issuing a liquor retail licence", "TDKT": "Certificate of merit of the Chair of the Provincial People's Committee",
    "BCVT": "Issuing a postal licence", "LH": "Issuing a domestic travel business licence",
    "TG": "Registering regular religious gatherings", "TT": "Receiving requests for explanation",
    "KS": "Birth registration", "KH": "Marriage registration", "CT": "Certifying copies against originals",
    "HN": "Certifying marital status", "HKD": "Registering a household business", "BTXH": "Monthly social allowance",
}
"""The synthetic catalogue's English names, by code suffix (English pages show them)."""


def init(out=print) -> None:
    from tinhso.geo.models import Unit

    province = Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()
    if province is None:
        out("Dossiers: the province is not in the registry yet; agencies not written.")
        return
    created = 0
    with transaction.atomic():
        for code, name, en in DEPARTMENTS:
            _, new = Agency.objects.get_or_create(code=code, defaults={
                "name": name, "name_en": en, "kind": AgencyKind.DEPARTMENT, "unit": province})
            created += new
        communes = Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE)
        existing = set(Agency.objects.values_list("code", flat=True))
        new_rows = [Agency(code=f"ubnd-{c.code}", name=f"UBND {c.name}", name_en=f"People's Committee of {c.name_en or c.name}",
                           kind=AgencyKind.COMMUNE, unit=c) for c in communes if f"ubnd-{c.code}" not in existing]
        Agency.objects.bulk_create(new_rows)
        created += len(new_rows)
    if created:
        out(f"Dossiers: {created} agencies written ({len(DEPARTMENTS)} departments, commune People's Committees).")


def demo_catalogue() -> int:
    rows = []
    for dept, items in DEPARTMENT_PROCEDURES.items():
        rows += [(f"DEMO.{dept}.{suffix}", *rest) for suffix, *rest in items]
    rows += [(f"DEMO.XA.{suffix}", *rest) for suffix, *rest in COMMUNE_PROCEDURES]
    for i, (code, name, field, level, time, unit, fee, paper, subjects) in enumerate(rows):
        Procedure.objects.update_or_create(code=code, defaults={
            "name": name, "name_en": PROCEDURE_NAMES_EN.get(code.rsplit(".", 1)[1], ""), "field": field, "online_level": level, "eligible_full_online": level == "full" or i % 3 == 0,
            "legal_time": time, "legal_time_unit": unit, "fee_bearing": fee, "requires_paper_result": paper,
            "subjects": subjects, "synthetic": True, "parts_complete": i % 7 != 3})
    return len(rows)


DEMO_SUPPLIED = {"1.1": 100.0, "1.2": 96.0, "1.4": 97.5, "4.2c": 100.0}


def demo_feedback(count: int, seed: int, end) -> int:
    """Synthetic PAKN over the twelve months to ``end`` (flagged synthetic)."""
    import datetime as dt
    import random

    from tinhso.core.workcalendar import VIETNAM_TZ
    from tinhso.dossiers.models import Feedback

    rng = random.Random(seed)
    agencies = list(Agency.objects.filter(active=True).values_list("pk", flat=True))
    now = dt.datetime.combine(end, dt.time(16), VIETNAM_TZ)
    rows = []
    for i in range(count):
        received = now - dt.timedelta(days=rng.uniform(0, 365))
        due = received + dt.timedelta(days=21)
        late = rng.random() < 0.08
        handled = received + dt.timedelta(days=rng.uniform(1, 20) + (10 if late else 0))
        rows.append(Feedback(code=f"DEMO-PAKN-{i:06d}", agency_id=rng.choice(agencies),
                             kind="regulation" if rng.random() < 0.7 else "conduct", received_at=received,
                             due_at=due, handled_at=handled if handled <= now else None,
                             dissatisfied=rng.random() < 0.05, synthetic=True))
    Feedback.objects.bulk_create(rows, ignore_conflicts=True)
    return count


DEMO_STAFF_ROLES = ("handler", "supervisor", "leader")


def demo_members() -> int:
    """Make the demo staff accounts of a department (``handler-so-y-te`` of the reports demo, named
    ``<role>-<agency code>``) members of that agency: a department's staff see their agency's dossiers
    through :class:`AgencyMember` (commune staff through their commune, :mod:`tinhso.dossiers.access`).
    Idempotent; returns the memberships created."""
    from django.contrib.auth import get_user_model

    departments = {a.code: a for a in Agency.objects.filter(kind=AgencyKind.DEPARTMENT)}
    names = {f"{role}-{code}": code for code in departments for role in DEMO_STAFF_ROLES}
    created = 0
    for user in get_user_model().objects.filter(username__in=names):
        _member, made = AgencyMember.objects.get_or_create(user=user, agency=departments[names[user.username]])
        created += made
    return created


DEMO_EFFECTS = 1


def load_demo(out=print, count: int | None = None) -> None:
    from tinhso.dossiers import importer, synthetic

    init(out)
    n = demo_catalogue()
    for code, value in DEMO_SUPPLIED.items():
        SuppliedValue.objects.update_or_create(indicator=code, agency=None, period="", defaults={
            "value": value, "synthetic": True, "note": "Giá trị mẫu / synthetic demo value"})
    import datetime as dt

    from tinhso.dossiers.models import Feedback

    if not Feedback.objects.exists():
        out(f"Dossiers: {demo_feedback(2000, 766, dt.date.today())} synthetic PAKN (feedback) for 5.1–5.3.")
    linked = demo_members()
    if linked:
        out(f"Dossiers: {linked} demo department account(s) made members of their agency "
            "(their dossiers on /dich-vu-cong).")
    if DossierImport.objects.filter(synthetic=True, file_name__startswith="demo-").exists():
        out("Dossiers: synthetic demo dossiers already imported.")
        return
    count = count or int(os.environ.get("TINHSO_DEMO_DOSSIERS", "200000"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-dossiers.parquet"
        injected: list = []
        # One agency's digitisation drops in the last complete month (injected, printed): the monthly
        # analysis of the demo names it.
        synthetic.generate(path, count=count, seed=766, effects=DEMO_EFFECTS, injected=injected)
        result = importer.import_file(path, synthetic=True)
    out(f"Dossiers: {n} synthetic procedures, {result.records} synthetic dossiers (DỮ LIỆU MẪU / synthetic) over "
        f"{len(result.months)} months.")
    for e in injected:
        out(f"  injected (synthetic) {e['kind']}: unit={e['unit_code']} ({e['unit_name']}) month={e['month']} "
            f"dossiers={e['dossiers_in_month']} (month before: {e['dossiers_month_before']})")
