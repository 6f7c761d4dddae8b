"""Init and demo steps of the IOC wall (idempotent).

``load_demo`` rebuilds the pre-aggregates (the synthetic reports are bulk-inserted without model
saves) and registers Phan Thiết's six high-mounted cameras as *synthetic* registry rows with no
stream (positions approximate, no real stream URL is public), so the camera layer has something
to show and says plainly that no stream is connected.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

# Groups that see the wall (created by the roles setup; added here when missing).
WALL_GROUPS = ("operator", "supervisor", "leader", "reports-operator", "reports-supervisor")

DEMO_CAMERAS = [
    ("Camera trên cao — Cầu Trần Hưng Đạo (minh họa)", 10.9282, 108.1040),
    ("Camera trên cao — Quảng trường Nguyễn Tất Thành (minh họa)", 10.9240, 108.1000),
    ("Camera trên cao — Đồi Dương (minh họa)", 10.9307, 108.1185),
    ("Camera trên cao — Cảng cá Phan Thiết (minh họa)", 10.9310, 108.1080),
    ("Camera trên cao — Vòng xoay Tháp nước (minh họa)", 10.9305, 108.0985),
    ("Camera trên cao — Mũi Né (minh họa)", 10.9440, 108.2860),
]


def grant_wall_permission() -> None:
    perm = Permission.objects.filter(content_type__app_label="ioc", codename="view_wall").first()
    if perm is None:
        return
    for name in WALL_GROUPS:
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(perm)


def init(out=print) -> None:
    grant_wall_permission()


def load_demo(out=print) -> None:
    from tinhso.ioc import aggregates
    from tinhso.ioc.models import Camera

    grant_wall_permission()
    rows = aggregates.rebuild()
    if not Camera.objects.filter(synthetic=True).exists():
        Camera.objects.bulk_create([
            Camera(name=name, lat=lat, lon=lon, owner="IOC Phan Thiết (minh họa / synthetic)",
                   stream_kind=Camera.Kind.HLS, stream_url="", status=Camera.Status.OFFLINE, public=True,
                   synthetic=True) for name, lat, lon in DEMO_CAMERAS])
    out(f"IOC wall: {rows} pre-aggregated rows; http://127.0.0.1:8000/ioc (staff), /ioc/cong-khai (public)")
