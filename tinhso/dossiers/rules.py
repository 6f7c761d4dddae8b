"""The rules of dossier analytics, each with the source it follows.

Two kinds live here:

- **per-dossier rules** in Python, applied once when a dossier is imported (its effective due date under
  both supplementation modes, its open supplementation request, its working days taken), because they
  need the Vietnamese working calendar (:mod:`tinhso.core.workcalendar`: weekends, Tết and the other
  public holidays, make-up Saturdays);
- **per-period rules** as SQL expressions over one dossier row (:func:`period_columns`), run by the
  engine (:mod:`tinhso.dossiers.engine`) on DuckDB or Spark, and the indicator formulas over the counts
  those expressions produce (:mod:`tinhso.dossiers.indicators`).

Sources: [766] Quyết định 766/QĐ-TTg (23/6/2022); [DVCQG-F] "Mô tả công thức tính chỉ số 766" as
transcribed in a public third-party repository (research indices.md §3.2–3.3); [OSS-766] the 766
report of an open one-stop system modelled on Thanh Hóa's (research wave2.md §2.2,
``QuyetDinh766ChiTieuTienDoWhereBuilder.cs``, ``HoanThanhBoSungHoSoCommandHandler.cs``,
``CaculateTime.cs``). Where the sources disagree or are silent, the choice is stated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from tinhso.core.workcalendar import VIETNAM_TZ, WorkCalendar

# --- status codes (TrangThaiHoSoId) [OSS-766 ApplicationDbSeeder.cs] --------------------------------
NEW, RECEIVED, NOT_ACCEPTED, PROCESSING, SUPPLEMENT, FEES, WITHDRAWN, STOPPED, DONE, RETURNED = range(1, 11)
NOT_RECEIVED = frozenset({NEW, NOT_ACCEPTED})
"""Excluded everywhere: "Mới đăng ký" (1) was never received and "Không được tiếp nhận" (3) was refused
at reception [OSS-766: statuses 1 and 3 are excluded from the progress report; issue 10]."""
FINISHED = frozenset({WITHDRAWN, STOPPED, DONE, RETURNED})
"""The end of processing is ``NgayKetThucXuLy`` for "Công dân yêu cầu rút" (7), "Dừng xử lý" (8),
"Đã xử lý xong" (9) and "Đã trả kết quả" (10) [DVCQG-F 2.1: first of done > returned > stopped/refused,
and withdrawn by the citizen]."""
PAUSED = frozenset({SUPPLEMENT, FEES})
"""Unfinished and waiting on the citizen: supplementation (5) or financial obligation (6)
[OSS-766 "Dừng xử lý (5, 6, 8)"; 8 is finished here, as the issue lists it among the ends]."""
WITH_RESULT = frozenset({DONE, RETURNED})
"""Completed with a result: the dossiers of 2.2 (average time) and 4.1 (e-results)."""
PAID_ONLINE = frozenset({1, 2})
"""``DuocThanhToanTrucTuyen``: 1 paid through DVCQG, 2 through the provincial/ministry gateway [DVCQG-F 3.6]."""
ONLINE, DIRECT, POSTAL = 2, 1, 3
"""``KenhThucHien``: 1 direct (also when empty), 2 online, 3 postal (BCCI) [DVCQG-F 3.3; OSS-766]."""

SUPPLEMENT_MODES = ("pause", "restart")


# --- per-dossier: due dates ------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadlines:
    pause: dt.datetime | None       # due date when supplementation pauses the clock
    restart: dt.datetime | None     # due date when it restarts the full processing time
    open_request: dt.datetime | None  # a supplementation request still waiting for the citizen

    @classmethod
    def none(cls) -> Deadlines:
        return cls(None, None, None)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=VIETNAM_TZ)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(VIETNAM_TZ).replace(tzinfo=None, microsecond=0)


def legal_due(received: dt.datetime, procedure, calendar: WorkCalendar) -> dt.datetime:
    """Due date from the procedure's legal processing time when ``NgayHenTra`` is missing.

    [DVCQG-F 2.1: "No NgayHenTra ⇒ on time if (end − start − supplement time) ≤ the legal maximum
    processing time of the TTHC"; issue 10: in working days on the Vietnamese calendar.] Counted from
    ``NgayTiepNhan`` in working time (a reception outside working hours counts from the next working
    moment).
    """
    amount = float(procedure.legal_time)
    if procedure.legal_time_unit == "working_hours":
        return _naive(calendar.add_working_time(_aware(received), hours=amount))
    return _naive(calendar.add_working_time(_aware(received), days=amount))


def deadlines(*, received: dt.datetime, due: dt.datetime | None, requests, procedure,
              calendar: WorkCalendar) -> Deadlines:
    """Effective due dates of one dossier under both supplementation modes.

    - **pause** (default) [OSS-766 ``HoanThanhBoSungHoSoCommandHandler``: new NgayHenTra = old NgayHenTra +
      (completion − request), re-aligned to working days; DVCQG-F 2.1: "subtract citizen supplementation
      time (hoàn thành bổ sung − yêu cầu bổ sung)"]: each completed request extends the due date by the
      working time it was with the citizen.
    - **restart** [OSS-766 flag ``SuDungYeuCauBoSungTheoNghiDinh``]: the full processing time (the legal
      time, else the time the dossier was first given) starts again when the last supplement is accepted.

    Which one Decree 118/2025/NĐ-CP requires was not verified (research wave2 §2.2); the setting
    ``DOSSIER_SUPPLEMENT_MODE`` chooses at computation time, both are stored.
    A request still open has no completion: it does not move the due date (see :func:`period_columns`
    for how such a dossier is judged).
    """
    base = due if due is not None else legal_due(received, procedure, calendar)
    completed = [(a, d) for a, d in requests if a is not None and d is not None]
    pause = base
    for asked, done in completed:
        spent = calendar.working_time_between(_aware(asked), _aware(done)).total_seconds()
        if spent > 0:
            pause = _naive(calendar.add_working_time(_aware(pause), hours=spent / 3600))
    restart = base
    if completed:
        last_done = max(d for _, d in completed)
        if procedure is not None and procedure.legal_time is not None:
            restart = legal_due(last_done, procedure, calendar)
        else:
            allowed = calendar.working_time_between(_aware(received), _aware(base)).total_seconds()
            restart = _naive(calendar.add_working_time(_aware(last_done), hours=max(allowed, 0) / 3600))
    open_requests = [a for a, d in requests if a is not None and d is None]
    return Deadlines(pause=pause, restart=restart, open_request=max(open_requests) if open_requests else None)


@lru_cache(maxsize=8)
def _workday_ordinals(calendar: WorkCalendar, year: int) -> dict[dt.date, int]:
    """Working days before each date of ``year`` since 1 January 1990 (cached per year)."""
    count = _year_total(calendar, year - 1)
    out = {}
    day = dt.date(year, 1, 1)
    while day.year == year:
        out[day] = count
        count += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return out


@lru_cache(maxsize=256)
def _year_total(calendar: WorkCalendar, year: int) -> int:
    """Working days from 1 January 1990 to the end of ``year``."""
    if year < 1990:
        return 0
    before = _year_total(calendar, year - 1)
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return before + sum(calendar.is_working_day(dt.date(year, 1, 1) + dt.timedelta(days=i)) for i in range(days))


def workday_ordinal(calendar: WorkCalendar, day: dt.date) -> int:
    return _workday_ordinals(calendar, day.year)[day]


def working_days_taken(received: dt.datetime, end: dt.datetime, requests, calendar: WorkCalendar) -> int:
    """Working days from reception to the end of processing, less the days with the citizen for
    supplementation: the processing time of 2.2 [DVCQG-F 2.2: Σ processing time of completed dossiers /
    number completed]. Whole working days between the two calendar dates (a dossier finished on the day
    it was received took 0); the portal reports in the procedure's own unit, tinhso in working days."""
    days = workday_ordinal(calendar, end.date()) - workday_ordinal(calendar, received.date())
    for asked, done in requests:
        if asked is not None and done is not None:
            days -= workday_ordinal(calendar, done.date()) - workday_ordinal(calendar, asked.date())
    return max(days, 0)


# --- per-period: one SQL expression per rule ----------------------------------------------------------

def _date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def due_column(mode: str) -> str:
    """The effective due date under the chosen supplementation mode (see :func:`deadlines`)."""
    if mode not in SUPPLEMENT_MODES:
        raise ValueError(f"supplement mode must be one of {SUPPLEMENT_MODES}, not {mode!r}")
    return "due_pause_date" if mode == "pause" else "due_restart_date"


def in_scope(start: dt.date, end: dt.date) -> str:
    """Dossiers of a period for 2.1 and the progress report: received in the period or carried into it
    (received before, not finished before it starts), except statuses 1 and 3.

    [DVCQG-F 2.1: "dossiers received or processed in period"; OSS-766: "Kỳ trước chuyển sang" + "Tiếp nhận
    trong kỳ"; statuses 1 and 3 excluded.]"""
    return scope_condition(_date(start), _date(end))


def scope_condition(s: str, e: str) -> str:
    """:func:`in_scope` with the period's first and last day given as SQL expressions (literals, or the
    columns of a table of periods joined to the dossiers)."""
    return " AND ".join(scope_parts(s, e))


def scope_parts(s: str, e: str) -> tuple[str, str]:
    """:func:`scope_condition` as (the part on the dossier alone, the part comparing with the period)."""
    return ("status NOT IN (1, 3) AND received_date IS NOT NULL",
            f"received_date <= {e} AND (end_date IS NULL OR end_date >= {s})")


def period_columns(start: dt.date, end: dt.date, mode: str, today: dt.date | None = None) -> dict[str, str]:
    """0/1 SQL expressions over one in-scope dossier row; the engine sums them per agency and procedure.

    Progress buckets [OSS-766 ``QuyetDinh766ChiTieuTienDoWhereBuilder``]:
    carried over; received in the period split online (2) / direct (1 or empty) / postal (3); finished in
    the period (statuses 7–10) early (<), on the due date (=) or late (>), comparing ``NgayKetThucXuLy``
    with the due date **by calendar date** (a dossier finished at 16:00 on its due date is on time);
    unfinished at the period's end: paused (5, 6), else in progress within time (due date ≥ period end)
    or over time.

    On time for 2.1 [766: "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn"; DVCQG-F 2.1]:
    - finished in the period: end date ≤ due date;
    - **more than one supplementation request ⇒ overdue** [DVCQG-F 2.1];
    - not finished at the period's end: judged at the period's end (due on or after it ⇒ on time)
      [DVCQG-F 2.1 "not finished ⇒ use the end of the period as the end time"];
    - waiting on its single open supplementation request: the request's date is the end time [DVCQG-F 2.1
      "if the only status is one 'Yêu cầu bổ sung', its timestamp is the end time"] (when the request is
      after the period's end, the period's end).
    The store holds each dossier's latest state, so a past period is judged from today's record, as the
    portal recomputes it. A period that is not over yet is judged at ``today``: a dossier due next week
    is not overdue at the end of a month that has not ended.
    """
    return rule_columns(_date(start), _date(end), _date(judged_at(end, today)), mode)


def judged_at(end: dt.date, today: dt.date | None) -> dt.date:
    """The day a period's unfinished dossiers are judged at: its last day, or today if it is not over."""
    return min(end, today) if today else end


ONCE_SQL = "(sup_count <= 1)"
"""At most one supplementation request (more than one makes a dossier overdue [DVCQG-F 2.1])."""
PAUSED_SQL = f"(status IN ({', '.join(str(int(s)) for s in sorted(PAUSED))}) AND end_date IS NULL)"
"""Unfinished and waiting on the citizen (a :data:`PAUSED` status)."""


def rule_columns(s: str, e: str, j: str, mode: str) -> dict[str, str]:
    """:func:`period_columns` with the period's first day, last day and judgement day given as SQL
    expressions (literals, or the columns of a table of periods joined to the dossiers)."""
    due = due_column(mode)
    finished = f"(end_date IS NOT NULL AND end_date <= {e})"
    unfinished = f"(end_date IS NULL OR end_date > {e})"
    received_in = f"(received_date >= {s})"
    once = ONCE_SQL
    judged = f"(CASE WHEN sup_open_date IS NOT NULL AND sup_open_date < {j} THEN sup_open_date ELSE {j} END)"
    paused = PAUSED_SQL
    cols = {
        "in_scope": "TRUE",
        "carried_over": f"NOT {received_in}",
        "received": received_in,
        "received_online": f"{received_in} AND channel = 2",
        "received_direct": f"{received_in} AND channel = 1",
        "received_postal": f"{received_in} AND channel = 3",
        "finished_early": f"{finished} AND {once} AND end_date < {due}",
        "finished_on_due": f"{finished} AND {once} AND end_date = {due}",
        "finished_late": f"{finished} AND (NOT {once} OR end_date > {due})",
        "paused": f"{unfinished} AND {paused}",
        "in_progress_within": f"{unfinished} AND NOT {paused} AND {once} AND {due} >= {j}",
        "in_progress_over": f"{unfinished} AND NOT {paused} AND (NOT {once} OR {due} < {j})",
        "paused_on_time": f"{unfinished} AND {paused} AND {once} AND {judged} <= {due}",
        # 3.3, 3.6, 4.2–4.5b count dossiers received in the period [DVCQG-F 3.3 "received in period",
        # 3.6 "start date in period", 4.3/4.4 "received in period"].
        "online_e_result": f"{received_in} AND channel = 2 AND e_result",
        "paid_online": f"{received_in} AND paid_online",
        "fee_info": f"{received_in} AND fee_info",
        "fee_all_zero": f"{received_in} AND fee_all_zero",
        "attached": f"{received_in} AND attached",
        "attached_e_result": f"{received_in} AND attached AND e_result",
        # Where a procedure gives a paper result, 3.3 and 4.2 also need an electronic result, which only
        # a finished dossier can have: an online (3.3) or digitised (4.2) dossier still being processed
        # is not yet "without an e-result" but undecided, and is left out of both the numerator and the
        # denominator until it finishes (the sources are silent on unfinished dossiers; counting them as
        # failures would make every recent month look worse and the units with more paper-result
        # procedures worst). Judged on the record's latest state, like e_result itself.
        "online_pending": f"{received_in} AND channel = 2 AND end_date IS NULL",
        "attached_pending": f"{received_in} AND attached AND end_date IS NULL",
        "reuse": f"{received_in} AND reuse",
        "from_store": f"{received_in} AND from_store",
        "population_data": f"{received_in} AND (vneid OR from_store)",
        # 4.1 and 2.2 over dossiers completed with a result in the period [DVCQG-F 4.1, 2.2].
        "with_result": f"{finished} AND status IN (9, 10)",
        "with_result_e_result": f"{finished} AND status IN (9, 10) AND e_result",
        # 5.4: unhappy (rated unsatisfactory or with feedback) or overdue [766 5.4; DVCQG-F 5.4].
        "unhappy_or_late": f"unhappy OR ({finished} AND (NOT {once} OR end_date > {due})) "
                           f"OR ({unfinished} AND NOT {paused} AND (NOT {once} OR {due} < {j}))",
    }
    return cols


SUMMED = {"work_days": "CASE WHEN end_date IS NOT NULL AND end_date <= {e} AND status IN (9, 10) "
                       "THEN work_days ELSE 0 END"}
"""Sums other than counts: working days taken by the dossiers completed with a result (2.2)."""
