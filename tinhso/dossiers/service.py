"""The services the CLI, the pages (/dich-vu-cong) and the API call: thin over the modules below.

- :func:`import_file` — a dossier file into the store, all or nothing (:mod:`importer`);
- :func:`indicators` — the 766 indicators, group points, totals and ranks of a period (:mod:`indicators`);
- :func:`due_soon` — unfinished dossiers due within N working hours, per agency and officer;
- :func:`list_dossiers` — the dossiers behind any number (filter by period + bucket, reception days,
  agency, procedure, status, channel), paged;
- :func:`generate` — synthetic dossiers (:mod:`synthetic`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings

from tinhso.core.errors import UserError
from tinhso.core.timebounds import day_range
from tinhso.core.workcalendar import VIETNAM_TZ
from tinhso.dossiers import engine as engines
from tinhso.dossiers import importer, rules, store, textsearch
from tinhso.dossiers import indicators as _indicators
from tinhso.dossiers.models import Agency, Procedure
from tinhso.dossiers.periods import parse as parse_period

MAX_PAGE_SIZE = 500
LIST_COLUMNS = ("ma_ho_so", "ma_tthc", "agency", "officer", "channel", "status", "received_at", "due_at",
                "due_pause_at", "due_restart_at", "end_at", "sup_count", "synthetic")


def import_file(path: Path, synthetic: bool = False) -> dict:
    return importer.import_file(Path(path), synthetic=synthetic).as_dict()


def indicators(period: str, level: str = "agency", engine: str = "duckdb", mode: str | None = None,
               today: dt.date | None = None) -> dict:
    return _indicators.compute(period, level, engine=engine, mode=mode, today=today)


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _timestamp(moment: dt.datetime) -> str:
    return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S')}'"


def _mode(mode: str | None) -> str:
    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    if mode not in rules.SUPPLEMENT_MODES:
        raise UserError("bad_mode", f"Chế độ bổ sung phải là {' hoặc '.join(rules.SUPPLEMENT_MODES)}",
                        f"The supplementation mode must be {' or '.join(rules.SUPPLEMENT_MODES)}", field="mode")
    return mode


def due_soon(hours: float = 24, now: dt.datetime | None = None, engine: str = "duckdb", mode: str | None = None,
             agency: str | None = None) -> dict:
    """Unfinished dossiers (received or processing, not paused) whose effective due moment falls within
    ``hours`` working hours from ``now`` (Vietnam time), grouped per agency and handling officer —
    the list an IOC sends warnings from. Overdue dossiers are not in it (they are in the indicators)."""
    if not (0 < hours <= 24 * 30):
        raise UserError("bad_hours", "Số giờ phải từ 0 đến 720", "Hours must be between 0 and 720", field="hours")
    mode = _mode(mode)
    now = (now or dt.datetime.now(VIETNAM_TZ))
    if now.tzinfo is None:
        now = now.replace(tzinfo=VIETNAM_TZ)
    until = importer.calendar().add_working_time(now, hours=hours)
    local_now = now.astimezone(VIETNAM_TZ).replace(tzinfo=None, microsecond=0)
    local_until = until.astimezone(VIETNAM_TZ).replace(tzinfo=None, microsecond=0)
    due = "due_pause_at" if mode == "pause" else "due_restart_at"
    where = f"status IN (2, 4) AND end_date IS NULL AND {due} >= {_timestamp(local_now)} AND {due} <= {_timestamp(local_until)}"
    if agency:
        where += f" AND agency = {_quote(agency)}"
    sql = (f"SELECT agency, officer, ma_ho_so, ma_tthc, received_at, {due} AS due FROM ({store.current_rows_sql()}) d "
           f"WHERE {where} ORDER BY agency, officer, {due}, ma_ho_so")
    names, rows = engines.run(sql, engine)
    names_of = dict(Agency.objects.values_list("code", "name"))
    groups: dict[str, dict] = {}
    for r in engines.as_dicts(names, rows):
        g = groups.setdefault(r["agency"], {"code": r["agency"], "name": names_of.get(r["agency"], r["agency"]),
                                            "count": 0, "officers": {}})
        o = g["officers"].setdefault(r["officer"] or "", {"officer": r["officer"], "count": 0, "dossiers": []})
        g["count"] += 1
        o["count"] += 1
        o["dossiers"].append({"MaHoSo": r["ma_ho_so"], "MaTTHC": r["ma_tthc"],
                              "NgayTiepNhan": r["received_at"].isoformat() if r["received_at"] else None,
                              "due": r["due"].isoformat() if r["due"] else None})
    agencies = sorted(groups.values(), key=lambda g: (-g["count"], g["code"]))
    for g in agencies:
        g["officers"] = sorted(g["officers"].values(), key=lambda o: (-o["count"], o["officer"] or ""))
    return {"hours": hours, "now": local_now.isoformat(), "until": local_until.isoformat(),
            "supplement_mode": mode, "count": sum(g["count"] for g in agencies), "agencies": agencies}


def _where(filters: dict | None, mode: str | None) -> str:
    """The SQL condition of :func:`list_dossiers`' filters."""
    filters = dict(filters or {})
    mode = _mode(mode)
    where = ["TRUE"]
    if filters.get("period"):
        p = parse_period(filters["period"])
        where.append(rules.in_scope(p.start, p.end))
        bucket = filters.get("bucket")
        if bucket:
            cols = rules.period_columns(p.start, p.end, mode, engines.today_local())
            wanted = [b.strip() for b in str(bucket).split(",")]  # several: any of them (an indicator's numerator)
            for b in wanted:
                if b not in cols:
                    raise UserError("bad_bucket", f"Nhóm {b!r} không có", f"Unknown bucket {b!r}", field="bucket",
                                    details=sorted(cols))
            where.append("(" + " OR ".join(f"({cols[b]})" for b in wanted) + ")")
    elif filters.get("bucket"):
        raise UserError("bucket_needs_period", "Cần kỳ (period) để lọc theo nhóm", "A bucket needs a period",
                        field="bucket")
    # Reception days, inclusive (a figure over days that are not a whole period: the wall's today, this
    # week to date). On ``received_date`` of the current rows, so the latest-import choice is made first.
    since, until = day_range(filters.get("since"), filters.get("until"))
    if since:
        where.append(f"received_date >= DATE '{since.isoformat()}'")
    if until:
        where.append(f"received_date <= DATE '{until.isoformat()}'")
    for column in ("agency", "ma_tthc"):  # one code or a list
        if filters.get(column):
            where.append(_one_of(column, filters[column]))
    if filters.get("procedure"):  # by name: the catalogue's codes first (a small table), then the store
        where.append(_one_of("ma_tthc", textsearch.procedure_codes(str(filters["procedure"]))))
    if filters.get("q"):
        where.append(textsearch.condition(str(filters["q"])))
    for key in ("status", "channel"):
        if filters.get(key) not in (None, ""):
            try:
                where.append(f"{key} = {int(filters[key])}")
            except (TypeError, ValueError):
                raise UserError("bad_filter", f"{key} phải là số", f"{key} must be a number", field=key) from None
    return " AND ".join(where)


def _one_of(column: str, codes) -> str:
    """``column`` is one of ``codes`` (a code or a list of them; none: no row)."""
    codes = [codes] if isinstance(codes, str) else list(codes)
    return f"{column} IN ({', '.join(_quote(c) for c in codes)})" if codes else "FALSE"


def procedure_names(codes, english: bool = False) -> dict[str, str]:
    """``{procedure code: its name in the page's language}`` for ``codes`` only (a page's rows: one query
    on the small catalogue table, never a join over the store); the English name where the catalogue has
    one, else the Vietnamese. A code missing from the catalogue is left out (shown as it is)."""
    rows = Procedure.objects.filter(code__in=set(c for c in codes if c)).values_list("code", "name", "name_en")
    return {code: en if english and en else vi for code, vi, en in rows}


def procedure_choices(english: bool = False) -> list[str]:
    """The names the list's procedure field suggests: every procedure of the catalogue by its name in the
    page's language, each name once, in alphabetical order (case and diacritics aside)."""
    from tinhso.core.text import fold

    names = {en if english and en else vi for vi, en in Procedure.objects.values_list("name", "name_en")}
    return sorted(names, key=lambda n: (fold(n), n))


def list_dossiers(filters: dict | None = None, page: int = 1, page_size: int = 50, engine: str = "duckdb",
                  mode: str | None = None) -> dict:
    """The dossiers behind a number: ``filters`` may hold ``period`` (+ ``bucket``, one of the rule columns of
    :func:`rules.period_columns`, e.g. ``finished_late``), ``since`` and ``until`` (reception days,
    inclusive: dates or ``YYYY-MM-DD``, :func:`tinhso.core.timebounds.day_range`; with any other filter, the
    dossiers of both), ``agency`` (one code or a list), ``ma_tthc`` (one code or a list), ``procedure`` (a
    procedure's code or name, or words of its name: :func:`textsearch.procedure_codes`), ``status``, ``channel``, ``q``
    (words, case and diacritics ignored: :mod:`tinhso.dossiers.textsearch`). Paged, newest reception first."""
    if page < 1 or not (1 <= page_size <= MAX_PAGE_SIZE):
        raise UserError("bad_page", f"Trang ≥ 1, cỡ trang 1–{MAX_PAGE_SIZE}", f"Page ≥ 1, page size 1–{MAX_PAGE_SIZE}",
                        field="page")
    condition = _where(filters, mode)
    base = f"FROM ({store.current_rows_sql()}) d WHERE {condition}"
    _, counted = engines.run(f"SELECT COUNT(*) AS n {base}", engine)
    total = int(counted[0][0]) if counted else 0
    offset = (int(page) - 1) * int(page_size)
    # A page past the last is empty, without asking the engine (an offset past 64 bits is an error there).
    rows = [] if offset >= total else engines.run(
        f"SELECT {', '.join(LIST_COLUMNS)} {base} ORDER BY received_at DESC, ma_ho_so "
        f"LIMIT {int(page_size)} OFFSET {offset}", engine)[1]
    items = []
    for r in engines.as_dicts(list(LIST_COLUMNS), rows):
        items.append({k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in r.items()})
    return {"total": total, "page": page, "page_size": page_size, "items": items}


def export_dossiers(filters: dict | None = None, limit: int = 100_000, engine: str = "duckdb",
                    mode: str | None = None) -> tuple[list[str], list[tuple]]:
    """Every dossier :func:`list_dossiers` would page through, in one query (for CSV). More than ``limit``
    is refused (413) rather than cut: narrow the filters."""
    condition = _where(filters, mode)
    base = f"FROM ({store.current_rows_sql()}) d WHERE {condition}"
    _names, rows = engines.run(f"SELECT COUNT(*) AS n {base}", engine)
    total = int(rows[0][0]) if rows else 0
    if total > limit:
        raise UserError("too_many_rows", f"{total} hồ sơ, tối đa {limit} mỗi tệp CSV: hãy lọc hẹp hơn",
                        f"{total} dossiers, at most {limit} per CSV file: narrow the filters", status=413,
                        details={"total": total, "limit": limit})
    return engines.run(f"SELECT {', '.join(LIST_COLUMNS)} {base} ORDER BY received_at DESC, ma_ho_so", engine)


def generate(out: Path, count: int, seed: int, end: dt.date | None = None, months: int = 12, effects: int = 0,
             effects_month: dt.date | None = None, injected: list | None = None) -> int:
    from tinhso.dossiers import synthetic

    return synthetic.generate(Path(out), count=count, seed=seed, end=end, months=months, effects=effects,
                              effects_month=effects_month, injected=injected)
