"""Synthetic demo reports: a seeded generator with realistic, consistent histories.

Every row is marked ``synthetic=True`` and its description starts with "[Mô phỏng]" so pages
and the API show it is generated. Points are drawn around commune centroids (spread by the
commune's area) and kept only when the locator puts them in that same commune. Histories run
through :func:`tinhso.reports.workflow.apply` — the real transition table and deadline rules —
and are then bulk-inserted, so they are exactly what the live system would have recorded.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from tinhso.reports import routing, sla, workflow
from tinhso.reports.models import (
    Category,
    Channel,
    Photo,
    PhotoKind,
    Report,
    ReportEvent,
    RoutingRule,
    Severity,
    State,
    generate_tracking_code,
)
from tinhso.reports.permissions import CITIZEN, HANDLER, OPERATOR, SYSTEM, Actor
from tinhso.reports.signals import reports_bulk_created

SEED = 20250701
MARK = "[Mô phỏng] "

# The generator's people are marked as made up in their stored labels (shown in English by
# :func:`display_label`).
SYNTHETIC_SUFFIX = " (mô phỏng)"
SYNTHETIC_REPORTER = "Người dân" + SYNTHETIC_SUFFIX
OPERATOR_ACTOR = Actor("ioc-operator" + SYNTHETIC_SUFFIX, frozenset({OPERATOR}), province_wide=True)
HANDLER_ACTOR = Actor("can-bo-xu-ly" + SYNTHETIC_SUFFIX, frozenset({HANDLER}), province_wide=True)
SYSTEM_ACTOR = Actor("system", frozenset({SYSTEM}), province_wide=True)


def display_label(text: str, english: bool) -> str:
    """A stored actor or reporter label for a page: on an English page the generator's Vietnamese
    marks read "(synthetic)" and its citizen "Citizen (synthetic)"; any other label as stored."""
    if not english or not text:
        return text
    if text == SYNTHETIC_REPORTER:
        return "Citizen (synthetic)"
    if text.endswith(SYNTHETIC_SUFFIX):
        return text[: -len(SYNTHETIC_SUFFIX)] + " (synthetic)"
    return text


DESCRIPTIONS = {
    "traffic": ["Ổ gà lớn giữa đường, xe máy dễ té ngã.", "Đèn tín hiệu giao thông tại ngã tư không hoạt động.",
                "Biển báo bị đổ sau mưa lớn.", "Xe tải đậu lấn chiếm lòng đường gây ùn tắc."],
    "urban-order": ["Lấn chiếm vỉa hè để buôn bán.", "Quảng cáo dán trái phép trên cột điện.",
                    "Vật liệu xây dựng để tràn ra lòng đường."],
    "environment": ["Rác thải tồn đọng nhiều ngày chưa được thu gom.", "Cống thoát nước bốc mùi hôi.",
                    "Đốt rác gây khói bụi khu dân cư.", "Nước thải chảy tràn ra đường."],
    "health": ["Cơ sở bán thực phẩm không bảo đảm vệ sinh.", "Nghi có ổ dịch sốt xuất huyết trong khu phố."],
    "education": ["Cổng trường học xuống cấp, nguy hiểm cho học sinh.", "Thu các khoản ngoài quy định."],
    "electricity-water": ["Mất nước sinh hoạt nhiều ngày.", "Dây điện võng thấp nguy hiểm.",
                          "Đèn chiếu sáng công cộng không sáng."],
    "land-construction": ["Xây dựng không phép trên đất nông nghiệp.", "Công trình thi công không che chắn."],
    "security-order": ["Tụ tập gây mất trật tự về đêm.", "Đua xe trái phép trên tuyến đường ven biển."],
    "other": ["Cây xanh gãy đổ chắn ngang lối đi.", "Chó thả rông không rọ mõm."],
}
CATEGORY_WEIGHTS = {"traffic": 22, "urban-order": 16, "environment": 20, "health": 5, "education": 4,
                    "electricity-water": 12, "land-construction": 8, "security-order": 6, "other": 7}
RESULT_TEXTS = ["Đơn vị đã kiểm tra hiện trường và khắc phục xong.", "Đã xử lý vi phạm, lập biên bản.",
                "Đã thu gom, vệ sinh khu vực.", "Đã sửa chữa, đưa vào hoạt động bình thường."]
RESULT_IMAGE_COUNT = 4


class _InTheFuture(Exception):
    """The next step of a history would happen after ``now``: the report stays where it is."""


@dataclass
class Plan:
    report: Report
    events: list[ReportEvent]
    result_photo: int | None


def _result_images() -> list[tuple[str, int, int, int]]:
    """A few small shared 'result' pictures (drawn, not photographs): (name, size, width, height)."""
    out = []
    for i in range(RESULT_IMAGE_COUNT):
        name = f"reports/synthetic/result-{i}.jpg"
        image = Image.new("RGB", (320, 240), (40 + 50 * i, 140, 90))
        draw = ImageDraw.Draw(image)
        draw.rectangle((20, 20, 300, 220), outline=(255, 255, 255), width=4)
        draw.text((40, 110), f"Ket qua xu ly (mo phong) #{i + 1}", fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(buffer.getvalue()))
        out.append((name, len(buffer.getvalue()), 320, 240))
    return out


def _points(rng: random.Random, communes, count: int):
    """(commune, lat, lon) triples located inside their commune by the real locator."""
    from tinhso.geo.locator import locate_many

    weights = [3.0 if c.unit_type in ("phường", "Phường") or c.name.startswith("Phường") else 1.0
               for c in communes]
    out = []
    for _ in range(12):
        need = count - len(out)
        if need <= 0:
            break
        picks = rng.choices(communes, weights=weights, k=int(need * 1.5) + 10)
        points = []
        for c in picks:
            spread_km = max(0.3, math.sqrt(c.area_km2 or 20.0) / 4)
            lat = c.lat + rng.gauss(0, spread_km / 111.0)
            lon = c.lon + rng.gauss(0, spread_km / (111.0 * math.cos(math.radians(c.lat))))
            points.append((round(lat, 6), round(lon, 6)))
        for c, p, found in zip(picks, points, locate_many(points)):
            if found.get("status") == "ok" and found["commune"]["code"] == c.code:
                out.append((c, p[0], p[1]))
    return out[:count]


def _working_offset(policy: sla.Policy, start: dt.datetime, rng: random.Random, low: float, high: float):
    return policy.calendar.add_working_time(start, hours=rng.uniform(low, high))


def _created_at(rng: random.Random, now: dt.datetime, days: int) -> dt.datetime:
    moment = now - dt.timedelta(days=rng.uniform(0.05, days))
    local = timezone.localtime(moment)
    if rng.random() < 0.7:  # most reports are made in the daytime
        local = local.replace(hour=rng.randint(6, 20), minute=rng.randint(0, 59))
    return min(local, now - dt.timedelta(minutes=5))


def plan_report(rng: random.Random, policy: sla.Policy, category: Category, commune, lat: float, lon: float,
                route_cache: dict, rules: list[RoutingRule], now: dt.datetime, *, created: dt.datetime | None = None,
                force_late: bool = False) -> Plan:
    """One report's history. ``created`` fixes its creation time and ``force_late`` makes the unit
    resolve it after the handling deadline (both for injected effects; the defaults draw them)."""
    created = created or _created_at(rng, now, 182)
    severity = rng.choices([category.default_severity, Severity.URGENT, Severity.COMPLEX], [80, 10, 10])[0]
    report = Report(code=generate_tracking_code(), category=category, commune=commune, province_code=commune.province_code,
                    description=MARK + rng.choice(DESCRIPTIONS.get(category.code, DESCRIPTIONS["other"])),
                    lat=lat, lon=lon, severity=severity, channel=rng.choices(
                        [Channel.WEB, Channel.APP, Channel.OPEN311, Channel.OPERATOR], [50, 30, 10, 10])[0],
                    public=rng.random() < 0.9, created_at=created, updated_at=created, synthetic=True,
                    state=State.SUBMITTED, is_open=True)
    report.refresh_search_text()
    if rng.random() < 0.5:
        report.reporter_name = SYNTHETIC_REPORTER
        report.reporter_phone = f"0900{rng.randint(0, 999999):06d}"
    sla.start_accept_clock(report, created, policy)
    events = [ReportEvent(report=report, at=created, actor_label="citizen", actor_role="citizen", action="submit",
                          from_state="", to_state=State.SUBMITTED, public=True, data={"channel": report.channel})]
    photo = None
    # The simulated submitter of this report. Synthetic reports get no secret (nobody could use it),
    # so no one can act as their citizen on the live site; here the generator speaks for them.
    citizen_actor = Actor("citizen", frozenset({CITIZEN}), holds_report=report.code)

    def step(action, actor, at, note="", **changes):
        if at > now:
            raise _InTheFuture
        for k, v in changes.items():
            setattr(report, k, v)
        events.append(workflow.apply(report, action, actor, note=note, now=at, policy=policy))
        return at

    key = (category.pk, commune.pk, severity)
    if key not in route_cache:
        route_cache[key] = routing.route(category_id=category.pk, commune_id=commune.pk, severity=severity,
                                         rules=rules)
    found = route_cache[key]
    try:
        if category.auto_forward and found.unit:
            t = step("auto_assign", SYSTEM_ACTOR, created + dt.timedelta(seconds=5),
                     note=routing.forwarded_note(found.unit, automatic=True), handling_unit=found.unit,
                     routing_rule=found.rule)
        else:
            t = step("verify", OPERATOR_ACTOR, _working_offset(policy, created, rng, 0.1, 5))
            if rng.random() < 0.05 or found.unit is None:
                step("reject", OPERATOR_ACTOR, t + dt.timedelta(minutes=1),
                     note="Phản ánh không thuộc phạm vi tiếp nhận. / Out of scope.")
                raise _InTheFuture
            t = step("forward", OPERATOR_ACTOR, t + dt.timedelta(minutes=2), note=routing.forwarded_note(found.unit),
                     handling_unit=found.unit, routing_rule=found.rule)
        late = rng.random() < 0.12
        t = step("accept", HANDLER_ACTOR, _working_offset(policy, t, rng, 0.1, 12 if late else 1.5))
        if rng.random() < 0.04:
            t = step("return_to_ioc", HANDLER_ACTOR, _working_offset(policy, t, rng, 0.5, 4),
                     note="Không thuộc thẩm quyền của đơn vị. / Not our competence.", handling_unit=None,
                     routing_rule=None)
            t = step("forward", OPERATOR_ACTOR, _working_offset(policy, t, rng, 0.2, 3),
                     note=routing.forwarded_note(found.unit, again=True), handling_unit=found.unit, routing_rule=found.rule)
            t = step("accept", HANDLER_ACTOR, _working_offset(policy, t, rng, 0.1, 2))
        if rng.random() < 0.08:
            t = step("request_info", HANDLER_ACTOR, _working_offset(policy, t, rng, 0.5, 6),
                     note="Đề nghị cung cấp vị trí cụ thể hơn. / Please give a more precise location.")
            t = step("provide_info", citizen_actor, t + dt.timedelta(hours=rng.uniform(2, 60)),
                     note="Ngay trước cổng chợ. / Right in front of the market gate.")
        amount, measure = policy.allowance(category.pk, severity, "handle")
        allowed_h = float(amount) * (7.5 if measure == "working_days" else 1)
        fraction = rng.uniform(0.1, 0.95) if rng.random() < 0.82 else rng.uniform(1.05, 2.5)
        if force_late:
            fraction = rng.uniform(1.3, 2.5)
        text = rng.choice(RESULT_TEXTS)
        t = step("resolve", HANDLER_ACTOR, _working_offset(policy, t, rng, allowed_h * fraction * 0.9,
                                                            allowed_h * fraction),
                 note=text, result_text=text, response_text=text)
        photo = rng.randrange(RESULT_IMAGE_COUNT)
        if rng.random() < 0.6:
            rating = rng.choices([5, 4, 3, 2, 1], [40, 30, 14, 9, 7])[0]
            rated = t + dt.timedelta(hours=rng.uniform(1, 72))
            comment = "Chưa xử lý triệt để. / Not properly fixed." if rating <= 2 and rng.random() < 0.5 else ""
            action = "request_reopen" if comment else "close"
            step(action, citizen_actor, rated, note=comment, rating=rating, rating_comment=comment, rated_at=rated)
            if comment:
                step("forward", OPERATOR_ACTOR, _working_offset(policy, rated, rng, 0.2, 4),
                     note="Chuyển lại để xử lý dứt điểm. / Forwarded again to be fixed for good.", handling_unit=found.unit, routing_rule=found.rule)
        else:
            step("close", SYSTEM_ACTOR, policy.calendar.add_working_time(t, days=sla.AUTO_CLOSE_WORKING_DAYS),
                 note="Tự động đóng: người dân không đánh giá trong thời hạn. / "
                      "Closed automatically: no rating within the period.")
    except _InTheFuture:
        pass
    return Plan(report, events, photo)


def generate(count: int = 2000, *, seed: int = SEED, now: dt.datetime | None = None, out=print, effects: int = 0,
             effects_month: dt.date | None = None, injected: list | None = None) -> int:
    """Create ``count`` synthetic reports in the installation's province. Returns how many.

    ``effects`` > 0 places that many effects (:mod:`tinhso.reports.effects`) in ``effects_month``
    (default: the last complete month before ``now``), drawn from their own seeded stream so the
    ``count`` base reports are the same with or without them; what was injected is appended to
    ``injected`` (a list of :class:`~tinhso.reports.effects.Effect`)."""
    from django.conf import settings

    from tinhso.geo.models import Unit

    now = now or timezone.now()
    rng = random.Random(seed)
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE,
                                        lat__isnull=False).order_by("code"))
    categories = {c.code: c for c in Category.objects.filter(active=True)}
    codes = [c for c in CATEGORY_WEIGHTS if c in categories] or list(categories)
    if not communes or not codes:
        out("Synthetic reports: no communes or categories; skipped.")
        return 0
    policy = sla.Policy.load()
    rules = list(RoutingRule.objects.filter(active=True).select_related("target").order_by("order", "id"))
    images = _result_images()
    route_cache: dict = {}
    plans = []
    for commune, lat, lon in _points(rng, communes, count):
        code = rng.choices(codes, [CATEGORY_WEIGHTS.get(c, 1) for c in codes])[0]
        plans.append(plan_report(rng, policy, categories[code], commune, lat, lon, route_cache, rules, now))
    if effects:
        from tinhso.reports import effects as injector

        placed = injector.inject(plans, effects, seed=seed, now=now, month=effects_month, communes=communes,
                                 categories=categories, codes=codes, policy=policy, rules=rules,
                                 route_cache=route_cache)
        if injected is not None:
            injected.extend(placed)
    with transaction.atomic():
        Report.objects.bulk_create([p.report for p in plans], batch_size=500)
        reports_bulk_created.send(Report, reports=[p.report for p in plans])
        events = [e for p in plans for e in p.events]
        for e in events:
            e.report_id = e.report.pk
        ReportEvent.objects.bulk_create(events, batch_size=1000)
        photos = []
        for p in plans:
            if p.result_photo is not None and p.report.result_text:
                name, size, width, height = images[p.result_photo]
                photos.append(Photo(report=p.report, kind=PhotoKind.RESULT, file=name, mime="image/jpeg", size=size,
                                    width=width, height=height, sha256=""))
        Photo.objects.bulk_create(photos, batch_size=1000)
    return len(plans)
