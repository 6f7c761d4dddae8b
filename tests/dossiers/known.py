"""Hand-built dossiers of October 2025 at the Department of Justice, with the answers worked out by hand.

Calendar: October 2025 has no public holiday; 1 Oct is a Wednesday. Procedure T.1: 5 working days.
Working hours 07:30–11:30, 13:30–17:00 (7.5 h a day).
"""

AGENCY = "so-tu-phap"


def d(text: str) -> str:
    return text  # dd/MM/yyyy HH:mm:ss as the portal writes it


def dossier(ma, status, received, due=None, end=None, channel=1, supplements=(), **extra):
    record = {"MaHoSo": ma, "MaTTHC": "T.1", "KenhThucHien": channel, "TrangThaiHoSo": status,
              "DonViXuLy": AGENCY, "NgayNopHoSo": received, "NgayTiepNhan": received, "NgayHenTra": due,
              "NgayKetThucXuLy": end, "DanhSachHoSoBoSung": [
                  {"NgayBoSung": a, "NgayTiepNhanBoSung": b} for a, b in supplements]}
    record.update(extra)
    return record


KNOWN = [
    # early (online): finished 6 Oct, due 8 Oct
    dossier("HS-01-EARLY", 10, "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00", channel=2),
    # same day: finished at 17:30 on its due date, due at 08:00 that day — on time by calendar date (direct)
    dossier("HS-02-SAMEDAY", 9, "02/10/2025 09:00:00", "09/10/2025 08:00:00", "09/10/2025 17:30:00"),
    # late (postal)
    dossier("HS-03-LATE", 10, "03/10/2025 09:00:00", "10/10/2025 09:00:00", "14/10/2025 10:00:00", channel=3),
    # paused: one supplementation request, two working days with the citizen; due 13 Oct 08:00 becomes
    # 15 Oct 08:00 under pause (finished 15 Oct: on the due date) and 16 Oct 08:00 under restart (5 working
    # days from 9 Oct 08:00: early)
    dossier("HS-04-PAUSED", 10, "06/10/2025 08:00:00", "13/10/2025 08:00:00", "15/10/2025 16:00:00", channel=2,
            supplements=[("07/10/2025 08:00:00", "09/10/2025 08:00:00")]),
    # twice supplemented: finished before its due date, but more than one request ⇒ overdue (direct)
    dossier("HS-05-TWICE", 10, "06/10/2025 08:00:00", "20/10/2025 08:00:00", "10/10/2025 10:00:00",
            supplements=[("07/10/2025 08:00:00", "07/10/2025 10:00:00"), ("08/10/2025 08:00:00", "08/10/2025 10:00:00")]),
    # carried over from September, finished early in October (direct)
    dossier("HS-06-CARRIED", 10, "25/09/2025 08:00:00", "02/10/2025 08:00:00", "01/10/2025 15:00:00"),
    # unfinished, due after the period: in progress within time (online)
    dossier("HS-07-UNFINISHED-OK", 4, "27/10/2025 08:00:00", "03/11/2025 08:00:00", channel=2),
    # unfinished, due 20 Oct: in progress over time at the period's end (direct)
    dossier("HS-08-UNFINISHED-LATE", 4, "13/10/2025 08:00:00", "20/10/2025 08:00:00", NguoiXuLy="can-bo-a"),
    # withdrawn by the citizen: ended (status 7) early (online)
    dossier("HS-09-WITHDRAWN", 7, "08/10/2025 08:00:00", "15/10/2025 08:00:00", "09/10/2025 08:00:00", channel=2),
    # refused at reception: excluded everywhere (online submission)
    dossier("HS-10-REFUSED", 3, None, channel=2, NgayNopHoSo="10/10/2025 08:00:00"),
    # waiting on an open supplementation request made before its due date: paused, on time (direct)
    dossier("HS-11-OPEN-SUPPLEMENT", 5, "20/10/2025 08:00:00", "27/10/2025 08:00:00",
            supplements=[("22/10/2025 08:00:00", None)]),
    # no NgayHenTra: due from the legal 5 working days = 8 Oct 08:00; finished that afternoon (postal)
    dossier("HS-12-NO-DUE", 9, "01/10/2025 08:00:00", None, "08/10/2025 15:00:00", channel=3),
    # carried over from September and still unfinished, overdue since 30 Sep (direct)
    dossier("HS-13-CARRIED-LATE", 4, "20/09/2025 08:00:00", "30/09/2025 08:00:00"),
    # outside the period: finished in September, and received in November
    dossier("HS-14-SEPTEMBER", 10, "01/09/2025 08:00:00", "08/09/2025 08:00:00", "05/09/2025 08:00:00"),
    dossier("HS-15-NOVEMBER", 4, "03/11/2025 08:00:00", "10/11/2025 08:00:00", channel=2),
]

BUCKETS_PAUSE = {
    "carried_over": 2, "received": 10, "received_online": 4, "received_direct": 4, "received_postal": 2,
    "finished_early": 3, "finished_on_due": 3, "finished_late": 2,
    "in_progress_within": 1, "in_progress_over": 2, "paused": 1, "total": 12,
}
# 2.1 under pause: early 3 + on due 3 + within 1 + paused on time 1 = 8 of 12
ON_TIME_PAUSE = (8, 12)
BUCKETS_RESTART = dict(BUCKETS_PAUSE, finished_early=4, finished_on_due=2)
