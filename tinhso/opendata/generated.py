"""The datasets tinhso computes from its own data, refreshed by ``tinhso opendata refresh``.

- ``chi-tieu-ke-hoach``: plan indicators, their targets and sourced observations (tinhso.indicators);
- ``thong-ke-phan-anh``: field reports per commune × category × month (tinhso.reports), aggregates only:
  a cell with fewer than ``k`` reports (default 5, ``TINHSO_OPENDATA_K``) is left out, and no column can
  lead back to a person (no report code, no time finer than a month, no coordinates, no text);
- ``don-vi-hanh-chinh`` and ``bang-chuyen-doi-2025``: the units of the province, current and legacy,
  and the 2025 crosswalk (tinhso.geo);
- ``chi-so-766``: public-service (Decision 766) scores per agency and per commune (tinhso.dossiers),
  when the dossier store has data.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.utils import timezone

from tinhso.opendata.writers import Field, Sdmx, Table

K_DEFAULT = 5
MERGED = "khac-gop"
MERGED_NAME = "Các lĩnh vực khác (gộp) / Other categories (merged)"


def k_threshold() -> int:
    return max(int(os.environ.get("TINHSO_OPENDATA_K", K_DEFAULT)), 1)


def _province():
    from tinhso.geo.models import Unit

    return Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()


def _spatial() -> dict:
    p = _province()
    return {"spatial": p.name if p else settings.PROVINCE_CODE, "spatial_code": settings.PROVINCE_CODE}


# --- plan indicators --------------------------------------------------------------------------------

def indicators():
    from tinhso.indicators.models import Target
    from tinhso.indicators.observations import counted_current

    fields = [Field("plan", title="Kế hoạch"), Field("indicator", title="Mã chỉ tiêu"),
              Field("indicator_name", title="Tên chỉ tiêu"), Field("unit_of_measure", title="Đơn vị tính"),
              Field("kind", description="target (chỉ tiêu) or observation (số liệu thực hiện)"),
              Field("year", "year"), Field("level", title="Cấp"), Field("unit_code", title="Mã đơn vị hành chính"),
              Field("comparator"), Field("value", "number"), Field("value_high", "number"),
              Field("source", title="Nguồn"), Field("source_reference", title="Số hiệu / địa chỉ nguồn")]
    rows = []
    for t in Target.objects.select_related("item__plan__unit", "item__indicator", "source", "item__plan__source"):
        src = t.source or t.item.plan.source
        rows.append({"plan": t.item.plan.code, "indicator": t.item.indicator.code,
                     "indicator_name": t.item.indicator.name_vi, "unit_of_measure": t.item.indicator.unit_of_measure,
                     "kind": "target", "year": t.milestone, "level": t.level, "unit_code": t.item.plan.unit.code,
                     "comparator": t.comparator, "value": t.value, "value_high": t.value_high,
                     "source": src.title if src else "", "source_reference": src.reference if src else ""})
    # Only the counted figure of each key: an entry waiting for its second person is not published.
    for o in counted_current():
        if o.value is None:
            continue
        rows.append({"plan": "", "indicator": o.indicator.code, "indicator_name": o.indicator.name_vi,
                     "unit_of_measure": o.indicator.unit_of_measure, "kind": "observation", "year": o.period,
                     "level": o.level, "unit_code": o.unit.code, "comparator": o.qualifier, "value": o.value,
                     "value_high": None, "source": o.source.title, "source_reference": o.source.reference})
    if not rows:
        return None
    years = [r["year"] for r in rows]
    meta = {"name": "chi-tieu-ke-hoach", "title_vi": "Chỉ tiêu kế hoạch chuyển đổi số: mục tiêu và số liệu thực hiện",
            "title_en": "Digital-transformation plan indicators: targets and reported figures",
            "description_vi": "Chỉ tiêu của các nghị quyết, kế hoạch (mục tiêu theo mốc) và số liệu thực hiện, "
                              "mỗi dòng kèm nguồn.",
            "description_en": "Indicators of the province's plans (targets per milestone) and reported figures, "
                              "each row with its source.",
            "theme": "GOVE", "keywords": ["chỉ tiêu", "kế hoạch", "chuyển đổi số", "indicators"],
            "frequency": "ANNUAL", "generator": "indicators",
            "temporal_start": dt.date(min(years), 1, 1), "temporal_end": dt.date(max(years), 12, 31), **_spatial()}
    table = Table("chi-tieu-ke-hoach", fields, rows,
                  sdmx=Sdmx("TINHSO:DF_PLAN_INDICATORS(1.0)", ["indicator", "kind", "level", "unit_code", "year"],
                            "value", ["comparator", "source"]),
                  chart={"dimension": "year", "measure": "value", "aggregate": "count"})
    return meta, table


# --- field-report statistics ------------------------------------------------------------------------

def report_cells(k: int | None = None) -> tuple[list[dict], int]:
    """Cells commune × category × month with at least ``k`` reports (small cells of one commune and month
    merged when together they reach ``k``); also how many cells were left out."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncMonth

    from tinhso.reports.models import Report, State

    k = k or k_threshold()
    qs = (Report.objects.filter(commune__isnull=False)
          .annotate(month=TruncMonth("created_at", tzinfo=dt.timezone(dt.timedelta(hours=7))))
          .values("commune__code", "commune__name", "category__code", "category__name_vi", "month")
          .annotate(received=Count("id"), resolved=Count("id", filter=Q(state__in=(State.RESOLVED, State.CLOSED)))))
    rows, suppressed = [], 0
    small: dict[tuple, list[dict]] = {}
    for r in qs:
        month = r["month"]
        row = {"month": f"{month.year:04d}-{month.month:02d}", "commune_code": r["commune__code"],
               "commune": r["commune__name"], "category": r["category__code"],
               "category_name": r["category__name_vi"], "received": r["received"], "resolved": r["resolved"]}
        if r["received"] >= k:
            rows.append(row)
        else:
            small.setdefault((row["month"], row["commune_code"]), []).append(row)
    # The small cells of a commune and month are merged into one row when together they reach k;
    # otherwise they are left out. No total is published, so nothing can be recovered by subtraction.
    for cells in small.values():
        received = sum(c["received"] for c in cells)
        if received >= k and len(cells) > 1:
            rows.append({**cells[0], "category": MERGED, "category_name": MERGED_NAME, "received": received,
                         "resolved": sum(c["resolved"] for c in cells)})
        else:
            suppressed += len(cells)
    rows.sort(key=lambda r: (r["month"], r["commune_code"], r["category"]))
    return rows, suppressed


def reports():
    from tinhso.reports.models import Report

    if not Report.objects.exists():
        return None
    k = k_threshold()
    rows, suppressed = report_cells(k)
    fields = [Field("month", "yearmonth", "Tháng"), Field("commune_code", title="Mã xã, phường"),
              Field("commune", title="Xã, phường"), Field("category", title="Mã lĩnh vực"),
              Field("category_name", title="Lĩnh vực"), Field("received", "integer", "Số phản ánh nhận"),
              Field("resolved", "integer", "Số đã xử lý xong")]
    months = sorted({r["month"] for r in rows})
    synthetic = Report.objects.filter(synthetic=True).exists()
    note_vi = (f" Các lĩnh vực có dưới {k} phản ánh trong một xã và tháng được gộp thành '{MERGED}' nếu cộng lại đủ {k},"
               f" nếu không thì lược bỏ ({suppressed} ô), để không nhận diện được người phản ánh; không công bố tổng.")
    note_en = (f" Categories with fewer than {k} reports in a commune and month are merged into '{MERGED}' when together"
               f" they reach {k}, otherwise left out ({suppressed} cells), so no reporter can be identified; no totals"
               " are published.")
    meta = {"name": "thong-ke-phan-anh", "title_vi": "Thống kê phản ánh hiện trường theo xã, lĩnh vực và tháng",
            "title_en": "Field-report statistics by commune, category and month",
            "description_vi": "Số phản ánh nhận và đã xử lý theo xã, phường × lĩnh vực × tháng." + note_vi
                              + (" Gồm dữ liệu mô phỏng (synthetic)." if synthetic else ""),
            "description_en": "Reports received and resolved per commune × category × month." + note_en
                              + (" Includes synthetic demo data." if synthetic else ""),
            "theme": "SOCI", "keywords": ["phản ánh", "hiện trường", "thống kê", "field reports"],
            "frequency": "MONTHLY", "generator": "reports", "synthetic": synthetic,
            "temporal_start": dt.date.fromisoformat(months[0] + "-01") if months else None,
            "temporal_end": _month_end(months[-1]) if months else None, **_spatial()}
    table = Table("thong-ke-phan-anh", fields, rows,
                  sdmx=Sdmx("TINHSO:DF_FIELD_REPORTS(1.0)", ["commune_code", "category", "month"], "received",
                            ["resolved"]),
                  chart={"dimension": "month", "measure": "received", "aggregate": "sum"})
    return meta, table


def _month_end(month: str) -> dt.date:
    y, m = map(int, month.split("-"))
    return dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)


# --- units and crosswalk ----------------------------------------------------------------------------

def units():
    from tinhso.geo.models import Succession, Unit

    edges = list(Succession.objects.filter(new__province_code=settings.PROVINCE_CODE).select_related("old", "new"))
    current = list(Unit.objects.filter(structure="current", province_code=settings.PROVINCE_CODE).select_related("parent"))
    if not current:
        return None
    legacy_ids = {e.old_id for e in edges}
    legacy = list(Unit.objects.filter(pk__in=legacy_ids).select_related("parent"))
    parents = {u.parent_id for u in legacy if u.parent_id}
    while parents - legacy_ids:
        extra = list(Unit.objects.filter(pk__in=parents - legacy_ids).select_related("parent"))
        legacy_ids |= {u.pk for u in extra}
        legacy += extra
        parents = {u.parent_id for u in extra if u.parent_id}
    fields = [Field("structure", description="current (từ 1/7/2025) or legacy"), Field("level"),
              Field("code", title="Mã"), Field("unit_type", title="Loại"), Field("name", title="Tên"),
              Field("name_en"), Field("parent_code", title="Mã đơn vị cấp trên"), Field("province_code"),
              Field("lat", "number"), Field("lon", "number"), Field("valid_from", "date"), Field("valid_to", "date")]
    rows = [{"structure": u.structure, "level": u.level, "code": u.code, "unit_type": u.unit_type, "name": u.name,
             "name_en": u.name_en, "parent_code": u.parent.code if u.parent else "", "province_code": u.province_code,
             "lat": u.lat, "lon": u.lon, "valid_from": u.valid_from, "valid_to": u.valid_to}
            for u in sorted(current + legacy, key=lambda u: (u.structure, u.level, u.code))]
    common = {"theme": "REGI", "frequency": "IRREG", "generator": "geo", **_spatial()}
    meta = {"name": "don-vi-hanh-chinh", "title_vi": "Đơn vị hành chính của tỉnh (hiện hành và trước 1/7/2025)",
            "title_en": "Administrative units of the province (current and before 1 July 2025)",
            "description_vi": "Danh mục đơn vị hành chính hiện hành và đơn vị cũ đã hợp nhất, với mã, tên, "
                              "cấp trên và tâm điểm (WGS84).",
            "description_en": "Current administrative units and the legacy units merged into them: code, name, "
                              "parent and centroid (WGS84).",
            "keywords": ["đơn vị hành chính", "sáp nhập", "administrative units"],
            # From the oldest unit listed to the day of this snapshot of the registry.
            "temporal_start": min((r["valid_from"] for r in rows if r["valid_from"]), default=dt.date(2025, 7, 1)),
            "temporal_end": timezone.localdate(), **common}
    xfields = [Field("old_code", title="Mã đơn vị cũ"), Field("old_name", title="Tên đơn vị cũ"),
               Field("old_level"), Field("new_code", title="Mã đơn vị mới"), Field("new_name", title="Tên đơn vị mới"),
               Field("whole", "boolean", description="The whole old unit went to the new one"),
               Field("is_default", "boolean"), Field("effective", "date"), Field("source")]
    xrows = [{"old_code": e.old.code, "old_name": e.old.name, "old_level": e.old.level, "new_code": e.new.code,
              "new_name": e.new.name, "whole": e.whole, "is_default": e.is_default, "effective": e.effective,
              "source": e.source} for e in sorted(edges, key=lambda e: (e.old.code, e.new.code))]
    xmeta = {"name": "bang-chuyen-doi-2025", "title_vi": "Bảng chuyển đổi đơn vị hành chính 2025 (cũ → mới)",
             "title_en": "2025 administrative-unit crosswalk (old → new)",
             "description_vi": "Mỗi đơn vị cũ và đơn vị mới nhận nó (toàn bộ hoặc một phần) theo sắp xếp 2025.",
             "description_en": "Each legacy unit and the new unit(s) that took it over (whole or in part) in the "
                               "2025 reorganisation.",
             "keywords": ["bảng chuyển đổi", "sáp nhập 2025", "crosswalk"],
             "temporal_start": dt.date(2025, 7, 1), "temporal_end": dt.date(2025, 7, 1), **common}
    out = [(meta, Table("don-vi-hanh-chinh", fields, rows, point=("lat", "lon")))]
    if xrows:
        out.append((xmeta, Table("bang-chuyen-doi-2025", xfields, xrows)))
    return out


# --- public-service 766 scores ---------------------------------------------------------------------

def scores_766(today: dt.date | None = None):
    from tinhso.dossiers import service
    from tinhso.dossiers.models import DossierImport

    if not DossierImport.objects.exists():
        return None
    today = today or timezone.localdate()
    period = str(today.year if today.month > 1 else today.year - 1)
    rows = []
    for level in ("agency", "commune"):
        doc = service.indicators(period, level=level)
        for u in doc["units"]:
            rows.append({"period": doc["period"], "level": level, "code": u["code"], "name": u["name"],
                         "total": u["total"], "rank": u["rank"],
                         **{f"group_{g}": v for g, v in u["groups"].items()}})
    if not rows:
        return None
    groups = sorted({k for r in rows for k in r if k.startswith("group_")})
    fields = [Field("period"), Field("level", description="agency (sở, ngành) or commune"),
              Field("code", title="Mã cơ quan"), Field("name", title="Tên cơ quan"),
              Field("total", "number", "Tổng điểm"), Field("rank", "integer", "Xếp hạng"),
              *[Field(g, "number") for g in groups]]
    synthetic = DossierImport.objects.filter(synthetic=True).exists()
    meta = {"name": "chi-so-766", "title_vi": f"Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766) năm {period}",
            "title_en": f"Public-service index (Decision 766), {period}",
            "description_vi": "Điểm Bộ chỉ số 766 theo sở, ngành và theo UBND xã, phường, tính từ hồ sơ TTHC."
                              + (" Gồm dữ liệu mô phỏng (synthetic)." if synthetic else ""),
            "description_en": "Decision 766 scores per department and per commune, computed from the dossiers."
                              + (" Includes synthetic demo data." if synthetic else ""),
            "theme": "GOVE", "keywords": ["766", "dịch vụ công", "thủ tục hành chính", "public services"],
            "frequency": "MONTHLY", "generator": "dossiers", "synthetic": synthetic,
            "temporal_start": dt.date(int(period), 1, 1), "temporal_end": dt.date(int(period), 12, 31), **_spatial()}
    return meta, Table("chi-so-766", fields, rows,
                       sdmx=Sdmx("TINHSO:DF_SVC766(1.0)", ["level", "code", "period"], "total", ["rank"]),
                       chart={"dimension": "name", "measure": "total", "aggregate": "none",
                              "filter": {"level": "agency"}})


GENERATORS = {"indicators": indicators, "reports": reports, "geo": units, "dossiers": scores_766}


def refresh(only: list[str] | None = None, out=print) -> dict[str, int]:
    """Recompute and republish the generated datasets; how many rows each has."""
    from tinhso.opendata import publishing

    done: dict[str, int] = {}
    for key, make in GENERATORS.items():
        if only and key not in only:
            continue
        result = make()
        if result is None:
            out(f"Open data: {key}: no data yet, skipped.")
            continue
        for meta, table in result if isinstance(result, list) else [result]:
            publishing.publish_generated(meta, table)
            done[table.name] = len(table.rows)
            out(f"Open data: {table.name}: {len(table.rows)} rows published.")
    return done

