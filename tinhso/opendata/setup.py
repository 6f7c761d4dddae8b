"""Init and demo steps of the open data portal, called by ``tinhso init`` / ``tinhso demo``.

``init`` writes the publishers (the IOC and the province's departments) and two groups carrying the
portal's permissions (``opendata-publisher``: submit datasets for one's organisations;
``opendata-approver``: approve them; both: the notification inbox). ``load_demo`` adds an illustrative shared-database catalogue and
open-data plan (flagged synthetic), publishes the generated datasets and makes two demo accounts: a
publisher of Sở Y tế and an approver, so the upload and the two-person approval can be shown."""

from __future__ import annotations

import datetime as dt
import os

from django.db import transaction

from tinhso.opendata.models import (
    AccessLevel,
    ConnectionStatus,
    Dataset,
    Organization,
    OrgKind,
    PlanItem,
    SharedDatabase,
)

# Each group's permissions (app_label.codename): both read the notification inbox, where a publisher is
# told that a dataset was returned, withdrawn or published again (tinhso.opendata.notices).
INBOX = "notify.use_inbox"
GROUPS = {"opendata-publisher": ["opendata.publish_dataset", INBOX],
          "opendata-approver": ["opendata.approve_dataset", INBOX]}

# (code, name, name_en, owner, content, access, connection, generated dataset)
DEMO_DATABASES = [
    ("csdl-phan-anh", "CSDL phản ánh hiện trường", "Field reports database", "trung-tam-dieu-hanh",
     "Phản ánh của người dân, tình trạng xử lý, thời hạn", AccessLevel.SHARED, ConnectionStatus.CONNECTED,
     "thong-ke-phan-anh"),
    ("csdl-don-vi-hanh-chinh", "CSDL đơn vị hành chính", "Administrative units database", "so-noi-vu",
     "Đơn vị hành chính hiện hành, đơn vị cũ và bảng chuyển đổi 2025", AccessLevel.OPEN, ConnectionStatus.CONNECTED,
     "don-vi-hanh-chinh"),
    ("csdl-chi-tieu-kinh-te-xa-hoi", "CSDL chỉ tiêu kinh tế - xã hội", "Socio-economic indicators database",
     "so-tai-chinh", "Chỉ tiêu kế hoạch và số liệu thực hiện", AccessLevel.OPEN, ConnectionStatus.IN_PROGRESS,
     "chi-tieu-ke-hoach"),
    ("csdl-ho-so-tthc", "CSDL hồ sơ thủ tục hành chính", "Administrative-procedure dossiers database",
     "van-phong-ubnd-tinh", "Hồ sơ TTHC đồng bộ từ Hệ thống thông tin giải quyết TTHC", AccessLevel.RESTRICTED,
     ConnectionStatus.CONNECTED, "chi-so-766"),
    ("csdl-dat-dai", "CSDL đất đai", "Land database", "so-nong-nghiep-moi-truong",
     "Thửa đất, quy hoạch sử dụng đất", AccessLevel.SHARED, ConnectionStatus.PLANNED, None),
]
DEMO_PLAN = "Kế hoạch cung cấp dữ liệu mở (mẫu / demo)"
# (title, title_en, organisation, months from today (negative = past), dataset)
DEMO_PLAN_ITEMS = [
    ("Thống kê phản ánh hiện trường", "Field-report statistics", "trung-tam-dieu-hanh", -3, "thong-ke-phan-anh"),
    ("Danh mục đơn vị hành chính", "Administrative units", "so-noi-vu", -6, "don-vi-hanh-chinh"),
    ("Chỉ số phục vụ người dân, doanh nghiệp", "Public-service index", "van-phong-ubnd-tinh", -1, "chi-so-766"),
    ("Danh mục cơ sở lưu trú du lịch", "Tourist accommodation register", "so-van-hoa-the-thao-du-lich", -2, None),
    ("Danh sách trường học", "Schools", "so-giao-duc-dao-tao", 4, None),
]


def init(out=print) -> None:
    from django.contrib.auth.models import Group, Permission

    from tinhso.dossiers.setup import DEPARTMENTS
    from tinhso.opendata import publishing

    with transaction.atomic():
        publishing.ioc()
        made = 0
        for code, name, en in DEPARTMENTS:
            _, new = Organization.objects.get_or_create(name=code, defaults={
                "title_vi": name, "title_en": en, "kind": OrgKind.DEPARTMENT})
            made += new
        for group_name, names in GROUPS.items():
            group, _ = Group.objects.get_or_create(name=group_name)
            for name in names:
                app_label, codename = name.split(".")
                group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    if made:
        out(f"Open data: {made} publishers (departments) and the IOC written; groups {', '.join(GROUPS)}.")


def load_demo(out=print) -> None:
    from tinhso.opendata import generated

    init(out)
    generated.refresh(out=out)
    today = dt.date.today()
    orgs = {o.name: o for o in Organization.objects.all()}
    datasets = {d.name: d for d in Dataset.objects.all()}
    with transaction.atomic():
        for code, name, en, owner, content, access, status, ds in DEMO_DATABASES:
            SharedDatabase.objects.update_or_create(code=code, defaults={
                "name_vi": name, "name_en": en, "owner": orgs[owner], "content": content,
                "legal_basis": "Danh mục CSDL dùng chung của tỉnh (mẫu / demo)", "access_level": access,
                "connection_status": status, "dataset": datasets.get(ds) if ds else None, "synthetic": True})
        if not PlanItem.objects.filter(synthetic=True).exists():
            for title, en, org, months, ds in DEMO_PLAN_ITEMS:
                due = today + dt.timedelta(days=30 * months)
                PlanItem.objects.create(title_vi=title, title_en=en, organization=orgs[org], due=due,
                                        plan_reference=DEMO_PLAN, dataset=datasets.get(ds) if ds else None,
                                        synthetic=True)
    url = os.environ.get("TINHSO_DEMO_URL", "http://127.0.0.1:8000")
    out(f"Open data: {Dataset.objects.filter(state='published').count()} datasets published — {url}/du-lieu-mo "
        f"(CKAN API {url}/api/3/action/package_list, DCAT {url}/catalog.ttl)")
    demo_accounts(out)


# (username, full name, group, organisation or None, page): a publisher of Sở Y tế uploads a dataset
# (a draft), a second person approves it (two-person rule, tinhso.opendata.publishing.approve).
DEMO_ACCOUNTS = [
    ("publisher-so-y-te", "Cán bộ đăng dữ liệu mở, Sở Y tế (demo)", "opendata-publisher", "so-y-te",
     "/du-lieu-mo/dang-tai"),
    ("approver-opendata", "Người duyệt dữ liệu mở của tỉnh (demo)", "opendata-approver", None, "/du-lieu-mo/duyet"),
]


def demo_accounts(out=print) -> None:
    """The open-data roles' demo accounts, made and printed as the other demo accounts are."""
    from tinhso.core.demo_accounts import demo_url, ensure_account

    for username, full_name, group, org_name, page in DEMO_ACCOUNTS:
        user, password = ensure_account(username, full_name=full_name, groups=(group,))
        org = Organization.objects.filter(name=org_name).first() if org_name else None
        if org is not None:
            org.members.add(user)
        where = org.title_vi if org else "toàn tỉnh / province-wide"
        out(f"Demo {group}: {username} / {password}  ({where})  →  {demo_url(page)}")
