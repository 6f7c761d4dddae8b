"""Init and demo steps of the reports app (``tinhso init`` / ``tinhso demo``). Both idempotent.

``init`` writes the default deadline rules as editable rows. ``load_demo`` sets up the demo
province (``settings.PROVINCE_CODE``): categories, the IOC, one People's Committee per current
commune, provincial departments with routing rules, demo staff accounts (printed with their
passwords and the page each one works on), and ~2,000 synthetic reports over the last six months
(:mod:`tinhso.reports.synthetic`, seeded; they have no citizen secret, so nobody can rate them
or answer for their "citizen" online).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from tinhso.core.demo_accounts import demo_url, ensure_account
from tinhso.reports import sla
from tinhso.reports.models import (
    Category,
    DeadlineRule,
    HandlingUnit,
    Membership,
    Report,
    Role,
    RoutingRule,
    Severity,
    UnitKind,
)

DEMO_REPORTS = 2000

# code, Vietnamese name, English name, group, auto_forward, default severity, department competence
CATEGORIES = [
    ("traffic", "Giao thông", "Traffic", "Hạ tầng / Infrastructure", False, Severity.NORMAL, False),
    ("urban-order", "Trật tự đô thị", "Urban order", "Đô thị / Urban", False, Severity.NORMAL, False),
    ("environment", "Môi trường", "Environment", "Môi trường / Environment", True, Severity.NORMAL, False),
    ("health", "Y tế, an toàn thực phẩm", "Health and food safety", "Xã hội / Social", False, Severity.NORMAL, True),
    ("education", "Giáo dục", "Education", "Xã hội / Social", False, Severity.NORMAL, True),
    ("electricity-water", "Điện, nước", "Electricity and water", "Hạ tầng / Infrastructure", True,
     Severity.NORMAL, True),
    ("land-construction", "Đất đai, xây dựng", "Land and construction", "Đô thị / Urban", False,
     Severity.COMPLEX, False),
    ("security-order", "An ninh, trật tự", "Security and public order", "An ninh / Security", False,
     Severity.URGENT, False),
    ("other", "Khác", "Other", "Khác / Other", False, Severity.NORMAL, False),
]

# code, name, English name
DEPARTMENTS = [
    ("so-xay-dung", "Sở Xây dựng", "Department of Construction"),
    ("so-nong-nghiep-moi-truong", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("so-y-te", "Sở Y tế", "Department of Health"),
    ("so-giao-duc-dao-tao", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("cong-an-tinh", "Công an tỉnh", "Provincial Police"),
    ("dien-luc", "Công ty Điện lực", "Power company"),
]

# order, name, category, severity ("" = any), target department
ROUTING = [
    (10, "Y tế → Sở Y tế", "health", "", "so-y-te"),
    (20, "Giáo dục → Sở GD&ĐT", "education", "", "so-giao-duc-dao-tao"),
    (30, "Điện, nước → Điện lực", "electricity-water", "", "dien-luc"),
    (40, "An ninh khẩn cấp → Công an tỉnh", "security-order", "urgent", "cong-an-tinh"),
    (50, "Đất đai, xây dựng phức tạp → Sở Xây dựng", "land-construction", "complex", "so-xay-dung"),
    (60, "Giao thông phức tạp → Sở Xây dựng", "traffic", "complex", "so-xay-dung"),
    (70, "Môi trường phức tạp → Sở NN&MT", "environment", "complex", "so-nong-nghiep-moi-truong"),
]


def init(out=print) -> None:
    created = 0
    for (severity, step), (amount, measure) in sla.DEFAULT_DEADLINES.items():
        _, new = DeadlineRule.objects.get_or_create(category=None, severity=severity, step=step,
                                                    defaults={"amount": amount, "measure": measure})
        created += new
    if created:
        out(f"Reports: {created} default deadline rules written (editable in the admin).")


# Demo reply templates (admin-editable; placeholders filled by reports/replies.py): reply box, category,
# title (vi, en), text (vi, en).
DEMO_REPLIES = (
    ("respond", None, ("Đã tiếp nhận", "Received"),
     "Đơn vị {unit} đã tiếp nhận phản ánh {code} và đang kiểm tra hiện trường.",
     "{unit} has received report {code} and is checking the site."),
    ("request_info", None, ("Cần vị trí chính xác", "Exact location needed"),
     "Đề nghị bạn cho biết số nhà hoặc mốc gần nhất của vị trí phản ánh {code}.",
     "Please give the house number or a nearby landmark for report {code}."),
    ("resolve", "traffic", ("Đã vá mặt đường", "Road surface patched"),
     "Mặt đường tại vị trí phản ánh {code} đã được vá lại; xin cảm ơn bạn đã thông tin.",
     "The road surface at the place of report {code} has been repaired; thank you for reporting."),
    ("reject", None, ("Không thuộc thẩm quyền địa phương", "Not for the local authorities"),
     "Nội dung phản ánh {code} không thuộc phạm vi giải quyết của chính quyền địa phương; đề nghị bạn liên hệ "
     "cơ quan có thẩm quyền.",
     "Report {code} is not a matter the local authorities handle; please contact the competent body."),
)


def _demo_reply_templates() -> None:
    from tinhso.reports.models import ReplyTemplate

    for order, (use, category, (title, title_en), vi, en) in enumerate(DEMO_REPLIES):
        ReplyTemplate.objects.update_or_create(title=title, defaults={
            "category": Category.objects.filter(code=category).first() if category else None, "use": use,
            "title_en": title_en, "text_vi": vi, "text_en": en, "order": (order + 1) * 10, "active": True})


def _demo_reference(out) -> HandlingUnit | None:
    from tinhso.geo.models import Unit

    province = settings.PROVINCE_CODE
    for order, (code, vi, en, group, auto, severity, dept) in enumerate(CATEGORIES):
        Category.objects.update_or_create(code=code, defaults={
            "name_vi": vi, "name_en": en, "group": group, "auto_forward": auto, "default_severity": severity,
            "department_competence": dept, "order": (order + 1) * 10, "description_vi": f"Phản ánh về {vi.lower()}.",
            "description_en": f"Reports about {en.lower()}."})
    _demo_reply_templates()
    HandlingUnit.objects.update_or_create(code="ioc", defaults={
        "name": "Trung tâm Giám sát, điều hành thông minh tỉnh", "name_en": "Provincial Intelligent Operations Center",
        "kind": UnitKind.IOC})
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=province))
    existing = set(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE).values_list("commune_id", flat=True))
    HandlingUnit.objects.bulk_create([
        HandlingUnit(code=f"ubnd-{c.code}", name=f"UBND {c.name}", name_en=f"People's Committee of {c.name_en or c.name}",
                     kind=UnitKind.COMMUNE_COMMITTEE, commune=c) for c in communes if c.pk not in existing])
    for code, name, en in DEPARTMENTS:
        HandlingUnit.objects.update_or_create(code=code, defaults={"name": name, "name_en": en, "kind": UnitKind.DEPARTMENT})
    for order, name, category, severity, target in ROUTING:
        RoutingRule.objects.update_or_create(name=name, defaults={
            "order": order, "category": Category.objects.get(code=category), "severity": severity,
            "target": HandlingUnit.objects.get(code=target), "commune": None, "active": True})
    out(f"Reports: {len(CATEGORIES)} categories, {len(communes)} commune committees, {len(DEPARTMENTS)} departments, "
        f"{len(ROUTING)} routing rules.")
    home = next((c for c in communes if c.name == "Phường Phan Thiết"), None) or min(communes, key=lambda c: c.code,
                                                                                     default=None)
    return HandlingUnit.objects.filter(commune=home, kind=UnitKind.COMMUNE_COMMITTEE).first() if home else None


# Where each demo account works once signed in at /dang-nhap.
LOGIN_PATH = "/dang-nhap"
STAFF_PAGES = {Role.OPERATOR: "/ioc/phan-anh", Role.HANDLER: "/don-vi/phan-anh", Role.SUPERVISOR: "/don-vi/phan-anh",
               Role.LEADER: "/ioc", Role.PLANNER: "/ke-hoach"}  # leaders: the IOC wall (tinhso.ioc)


def _demo_accounts(home: HandlingUnit | None, out) -> None:
    """One account per staff role (the role is its group, the unit its membership)."""
    accounts = [("ioc-operator", "Điều hành viên IOC (demo)", Role.OPERATOR, None)]
    if home:
        accounts += [("handler-commune", f"Cán bộ {home.name} (demo)", Role.HANDLER, home),
                     ("supervisor-commune", f"Lãnh đạo {home.name} (demo)", Role.SUPERVISOR, home),
                     # A commune chairman: reads the commune's reports, changes nothing.
                     ("leader-commune", f"Chủ tịch {home.name} (demo)", Role.LEADER, home)]
    accounts.append(("handler-so-y-te", "Cán bộ Sở Y tế (demo)", Role.HANDLER, HandlingUnit.objects.get(code="so-y-te")))
    # Overdue notices go to the supervisors of the report's unit, else to the province-wide ones
    # (sla.supervisors_for). Only the home ward has its own supervisor in the demo, so without a
    # province-wide supervisor the overdue reports of every other committee and department would
    # notify nobody. A provincial leader who follows all units is also how provinces run it.
    accounts.append(("supervisor-province", "Lãnh đạo giám sát toàn tỉnh (demo)", Role.SUPERVISOR, None))
    accounts.append(("leader-province", "Lãnh đạo UBND tỉnh (demo)", Role.LEADER, None))
    # Plan figures of the province (and its former provinces, e.g. the demo plan of Bình Thuận).
    accounts.append(("planner-province", "Cán bộ kế hoạch tỉnh (demo)", Role.PLANNER, None))
    # A figure entered on the web counts once a second person approves it (tinhso.indicators.approval).
    accounts.append(("planner-approver", "Trưởng phòng kế hoạch tỉnh, người duyệt (demo)", Role.PLANNER, None))
    out(f"Staff sign-in / Đăng nhập cán bộ: {demo_url(LOGIN_PATH)}  (IOC queue {demo_url(STAFF_PAGES[Role.OPERATOR])}, "
        f"unit inbox {demo_url(STAFF_PAGES[Role.HANDLER])}, plans {demo_url(STAFF_PAGES[Role.PLANNER])})")
    for username, full_name, role, unit in accounts:
        user, password = ensure_account(username, full_name=full_name, groups=(role.value,))
        Membership.objects.get_or_create(user=user, role=role, unit=unit)
        where = unit.name if unit else "toàn tỉnh / province-wide"
        out(f"Demo {role.value}: {username} / {password}  ({where})  →  {demo_url(STAFF_PAGES[role])}")


DEMO_EFFECTS = 3


def load_demo(out=print) -> None:
    with transaction.atomic():
        init(out)
        home = _demo_reference(out)
    _demo_accounts(home, out)
    _demo_reports(out)
    # What the background worker would have done by now (it runs the check every few minutes):
    # near-due and overdue notices to supervisors, closing of stale resolved reports.
    from tinhso.reports import sla

    done = sla.check_deadlines()
    out(f"Deadline check: {done['overdue_notifications']} overdue and {done['near_due_notifications']} near-due "
        f"notices queued, {done['auto_closed']} resolved reports closed.")


def _demo_reports(out) -> None:
    have = Report.objects.filter(synthetic=True).count()
    if have >= DEMO_REPORTS:
        out(f"Synthetic reports: {have} already present.")
        return
    from tinhso.reports import synthetic

    started = time.monotonic()
    injected: list = []
    # A few injected effects in the last complete month, so that the monthly analysis has something
    # real to say (a category doubling in a commune, a ward's on-time rate collapsing, a street cluster).
    made = synthetic.generate(DEMO_REPORTS - have, seed=synthetic.SEED + have, effects=DEMO_EFFECTS if not have else 0,
                              injected=injected)
    out(f"Synthetic reports (labelled synthetic, seed {synthetic.SEED}): {made} generated over the last six months "
        f"in {time.monotonic() - started:.1f} s.")
    for effect in injected:
        out(f"  injected (synthetic) {effect.line()}")
