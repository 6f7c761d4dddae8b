"""Demo step of the IOC wall (idempotent). Who sees the wall is the ``ioc.view_wall`` permission of
the operator, supervisor and leader roles (:mod:`tinhso.core.roles`).

``load_demo`` rebuilds the pre-aggregates (the synthetic reports are bulk-inserted without model
saves) and registers Phan Thiết's six high-mounted cameras as *synthetic* registry rows with no
stream (positions approximate, no real stream URL is public), so the camera layer has something
to show and says plainly that no stream is connected.
"""

from __future__ import annotations

DEMO_CAMERAS = [
    ("Camera trên cao — Cầu Trần Hưng Đạo (minh họa)", 10.9282, 108.1040),
    ("Camera trên cao — Quảng trường Nguyễn Tất Thành (minh họa)", 10.9240, 108.1000),
    ("Camera trên cao — Đồi Dương (minh họa)", 10.9307, 108.1185),
    ("Camera trên cao — Cảng cá Phan Thiết (minh họa)", 10.9310, 108.1080),
    ("Camera trên cao — Vòng xoay Tháp nước (minh họa)", 10.9305, 108.0985),
    ("Camera trên cao — Mũi Né (minh họa)", 10.9440, 108.2860),
]


def load_demo(out=print) -> None:
    from tinhso.core.demo_accounts import demo_url
    from tinhso.ioc import aggregates
    from tinhso.ioc.models import Camera

    rows = aggregates.rebuild()
    if not Camera.objects.filter(synthetic=True).exists():
        Camera.objects.bulk_create([
            Camera(name=name, lat=lat, lon=lon, owner="IOC Phan Thiết (minh họa / synthetic)",
                   stream_kind=Camera.Kind.HLS, stream_url="", status=Camera.Status.OFFLINE, public=True,
                   synthetic=True) for name, lat, lon in DEMO_CAMERAS])
    out(f"IOC wall: {rows} pre-aggregated rows; {demo_url('/ioc')} (staff), {demo_url('/ioc/cong-khai')} (public)")
