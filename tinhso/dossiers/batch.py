"""Many dossier records → store rows at once: the importer's batch path.

:func:`normalise_batch` gives, for a batch of records, exactly what :func:`records.normalise` gives for
each of them — the same store rows, the same errors — but works over columns: the dates are parsed by
Arrow (``strptime`` and a round trip, so an impossible date like 31/02 is not silently moved), the codes
and flags checked with vectorised masks, and the working-calendar rules (due dates under both
supplementation modes, working days taken) computed with numpy over a table of the calendar's working
intervals (:class:`CalendarTable`) instead of walking day by day.

Only what is regular takes the fast path. A value the vectorised parsers do not recognise (another date
format, an ISO date with an offset, a code written ``"2.0"``, text to be NFC-normalised or trimmed) is
read by the per-record function of :mod:`tinhso.dossiers.records` for that value alone; a record with
anything wrong — or unusual enough (a moment outside the calendar table) — is handed whole to
:func:`records.normalise`, which names each error as before. So error messages are only built for
the records that fail, by the same code as before, and ``tests/dossiers/test_batch.py`` checks that the
batch rows equal the per-record rows on generated records (hypothesis) and the demo generator's output.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tinhso.core.workcalendar import WorkCalendar
from tinhso.dossiers import records, rules, store

DAY = 86_400
NA = np.iinfo(np.int64).min  # a missing moment (seconds since 1970-01-01, naive Vietnam local time)
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_DAY = dt.date(1970, 1, 1)


# --- the calendar as arrays -------------------------------------------------------------------------

class CalendarTable:
    """The working intervals of a :class:`WorkCalendar` from ``first_year`` to ``last_year`` as arrays:
    ``W(t)`` (working seconds before moment ``t``) is one ``searchsorted``, working time between two
    moments is ``W(b) − W(a)`` and adding working time inverts ``W``. Equal to the calendar's own
    ``working_time_between`` / ``add_working_time`` (Vietnam has one UTC offset all year, so naive local
    seconds are exact); moments outside the table are reported so that the caller uses the calendar."""

    def __init__(self, calendar: WorkCalendar, first_year: int, last_year: int):
        first, last = dt.date(first_year, 1, 1), dt.date(last_year + 1, 1, 1)
        n = (last - first).days
        self.first_day = (first - EPOCH_DAY).days
        self.lo, self.hi = self.first_day * DAY, (self.first_day + n) * DAY
        working = np.fromiter((calendar.is_working_day(first + dt.timedelta(days=i)) for i in range(n)), bool, n)
        self.ordinal = np.concatenate([[0], np.cumsum(working)])  # working days before each day
        periods = [(a.hour * 3600 + a.minute * 60 + a.second, b.hour * 3600 + b.minute * 60 + b.second)
                   for a, b in calendar.periods]
        days = (np.flatnonzero(working) + self.first_day).astype(np.int64) * DAY
        self.starts = np.sort(np.concatenate([days + a for a, _ in periods]))
        lengths = np.empty_like(self.starts)
        offsets = self.starts % DAY
        for a, b in periods:
            lengths[offsets == a] = b - a
        self.ends = self.starts + lengths
        self.cum_end = np.cumsum(lengths)
        self.cum = self.cum_end - lengths

    def inside(self, t: np.ndarray) -> np.ndarray:
        return (t >= self.lo) & (t < self.hi)

    def worked(self, t: np.ndarray) -> np.ndarray:
        """Working seconds from the table's start to ``t`` (``t`` inside the table)."""
        i = np.searchsorted(self.starts, t, side="right") - 1
        safe = np.maximum(i, 0)
        w = self.cum[safe] + np.clip(t - self.starts[safe], 0, self.ends[safe] - self.starts[safe])
        return np.where(i >= 0, w, 0)

    def add(self, t: np.ndarray, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``calendar.add_working_time(t, hours=seconds / 3600)`` and a mask of results the table cannot
        give (beyond its end, or more than the calendar's ten-year horizon: the calendar then decides)."""
        target = self.worked(t) + seconds
        j = np.searchsorted(self.cum_end, target, side="left")
        beyond = j >= len(self.starts)
        safe = np.minimum(j, len(self.starts) - 1)
        out = np.where(seconds == 0, t, self.starts[safe] + (target - self.cum[safe]))
        beyond |= (seconds < 0) | ((seconds != 0) & ((out // DAY) - (t // DAY) >= 3660))
        return out, beyond

    def ordinal_of(self, t: np.ndarray) -> np.ndarray:
        """Working days before the day of moment ``t`` (only differences are used)."""
        return self.ordinal[t // DAY - self.first_day]


@lru_cache(maxsize=8)
def calendar_table(calendar: WorkCalendar, first_year: int, last_year: int) -> CalendarTable:
    return CalendarTable(calendar, first_year, last_year)


# --- columns ------------------------------------------------------------------------------------------

class Batch:
    """The state of one batch: the records, which of them must go to the per-record path (``bad``)."""

    def __init__(self, source: list[dict] | pa.RecordBatch | pa.Table):
        self.arrow = None if isinstance(source, list) else source
        self.raws = source if isinstance(source, list) else None
        self.n = len(source) if isinstance(source, list) else source.num_rows
        self.bad = np.zeros(self.n, bool)
        self._values: dict[str, list] = {}

    def values(self, field: str) -> list:
        """The field's value in every record (None where absent), read once."""
        if field not in self._values:
            if self.raws is not None:
                self._values[field] = [r.get(field) for r in self.raws]
            elif field in self.arrow.schema.names:
                self._values[field] = self.arrow.column(field).to_pylist()
            else:
                self._values[field] = [None] * self.n
        return self._values[field]

    def array(self, field: str) -> pa.Array | None:
        """The field as one Arrow array (None when its values do not share a type)."""
        if self.arrow is not None and field in self.arrow.schema.names:
            column = self.arrow.column(field)
            return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        try:
            return pa.array(self.values(field), from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            return None  # mixed types, or integers beyond 64 bits: read one value at a time

    def ints(self, field: str) -> pa.Array | None:
        """The field as int64 when it is an integer column whose values all fit (a uint64 Parquet column
        beyond int64 does not: its values are then read one at a time)."""
        arr = self.array(field)
        if arr is None or not pa.types.is_integer(arr.type):
            return None
        try:
            return arr.cast(pa.int64())
        except (pa.ArrowInvalid, OverflowError):
            return None

    def raw(self, i: int) -> dict:
        """Record ``i`` as the per-record path reads it."""
        if self.raws is not None:
            return self.raws[i]
        return {name: self.values(name)[i] for name in self.arrow.schema.names}

    def per_value(self, values: list, indices, ref, out: list | np.ndarray, convert=lambda v: v,
                  rows=None) -> None:
        """``ref`` on the listed values one at a time; a record whose value ``ref`` refuses is bad
        (``rows`` maps a value to its record when the values are not one per record)."""
        for i in indices:
            try:
                out[i] = convert(ref(values[i]))
            except records.FieldError:
                self.bad[rows[i] if rows is not None else i] = True

    # text --------------------------------------------------------------------------------------------
    def text(self, field: str, required: bool = False) -> list:
        values = self.values(field)
        arr = self.array(field)
        if arr is not None and pa.types.is_string(arr.type):
            # printable ASCII, 1–200 characters, no space at either end nor two in a row: NFC and
            # whitespace-collapsing leave it as it is
            regular = pc.and_kleene(pc.and_kleene(pc.string_is_ascii(arr), pc.utf8_is_printable(arr)),
                                    pc.and_kleene(pc.equal(pc.utf8_trim_whitespace(arr), arr),
                                                  pc.invert(pc.match_substring(arr, "  "))))
            length = pc.utf8_length(arr)
            regular = pc.and_kleene(regular, pc.and_kleene(pc.greater(length, 0),
                                                           pc.less_equal(length, records.MAX_TEXT)))
            regular = pc.fill_null(regular, False).to_numpy(zero_copy_only=False)
            empty = arr.is_null().to_numpy(zero_copy_only=False)
        elif arr is not None and pa.types.is_null(arr.type):
            regular = np.zeros(self.n, bool)
            empty = np.ones(self.n, bool)
        else:
            regular = np.zeros(self.n, bool)
            empty = np.fromiter((v is None for v in values), bool, self.n)
        out = list(values)
        irregular = np.flatnonzero(~regular & ~empty) if not required else np.flatnonzero(~regular)
        for i in np.flatnonzero(~regular & empty):
            out[i] = None
        self.per_value(values, irregular, lambda v: records.parse_text(v, field, required=required), out)
        return out

    # codes and flags ---------------------------------------------------------------------------------
    def code(self, field: str, allowed: tuple[int, ...], default: int | None = None) -> np.ndarray:
        arr = self.array(field)
        if arr is not None and pa.types.is_integer(arr.type):
            arr = self.ints(field)
        if arr is not None and (pa.types.is_integer(arr.type) or pa.types.is_null(arr.type)):
            empty = arr.is_null().to_numpy(zero_copy_only=False)
            ints = pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(zero_copy_only=False).astype(np.int64)
            invalid = ~empty & ~np.isin(ints, allowed)
            out = np.where(empty, -1 if default is None else default, ints)
            out[invalid] = -1
            self.bad |= invalid
            return out
        values = self.values(field)
        out = np.zeros(self.n, np.int64)
        lookup = {a: a for a in allowed}
        lookup.update({str(a): a for a in allowed})
        irregular = []
        for i, v in enumerate(values):
            hit = lookup.get(v) if type(v) in (int, str) else None
            if hit is not None:
                out[i] = hit
            elif v is None and default is not None:
                out[i] = default
            else:
                irregular.append(i)
        self.per_value(values, irregular, lambda v: records.parse_code(v, field, allowed, default), out,
                       convert=lambda c: -1 if c is None else c)
        return out

    def flag(self, field: str) -> np.ndarray:
        arr = self.array(field)
        if arr is not None and pa.types.is_integer(arr.type):
            return pc.fill_null(pc.equal(arr, 1), False).to_numpy(zero_copy_only=False)
        if arr is not None and pa.types.is_null(arr.type):
            return np.zeros(self.n, bool)
        return np.fromiter((v == 1 if type(v) is int else v is not None and records._flag(v)
                            for v in self.values(field)), bool, self.n)

    def number(self, rows: list[int], field: str) -> np.ndarray:
        """``records._number`` of the field of the given records: NaN when empty."""
        arr = self.ints(field)
        if arr is not None and len(rows) == self.n:
            ints = pc.fill_null(arr, -1).to_numpy(zero_copy_only=False)
            if not ((ints < 0) & arr.is_valid().to_numpy(zero_copy_only=False)).any():
                return np.where(ints < 0, np.nan, ints.astype(float))
        column = self.values(field)
        values = [column[i] for i in rows]
        out = np.full(len(values), np.nan)
        irregular = []
        for i, v in enumerate(values):
            if type(v) is int and v >= 0:
                out[i] = v
            elif type(v) is str and v.isascii() and v.isdigit():
                out[i] = int(v)
            elif v is not None:
                irregular.append(i)
        self.per_value(values, irregular, lambda v: records._number(v, field), out,
                       convert=lambda x: np.nan if x is None else x, rows=rows)
        return out

    def count(self, rows: list[int], field: str) -> np.ndarray:
        """``records._count`` of the field of the given records (a whole number 0–``MAX_LIST``, NaN when
        empty); a record with any other number is bad (the per-record path names it)."""
        out = self.number(rows, field)
        wrong = ~np.isnan(out) & ((out != np.floor(out)) | (out > records.MAX_LIST))
        self.bad[np.asarray(rows, np.int64)[wrong]] = True
        out[wrong] = np.nan
        return out

    # dates -----------------------------------------------------------------------------------------------
    def moments(self, values: list, field: str, rows=None) -> np.ndarray:
        """Seconds since 1970 (naive local) of each value, ``NA`` when empty; ``rows`` maps each value to its
        record (default: value i is record i)."""
        out = np.full(len(values), NA, np.int64)
        if not values:
            return out
        try:
            arr = pa.array(values, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            arr = None
        regular = np.zeros(len(values), bool)
        if arr is not None and pa.types.is_string(arr.type):
            secs, hit = _fixed_width(arr)
            out[hit] = secs[hit]
            regular |= hit
            wanted = arr.is_valid().to_numpy(zero_copy_only=False)
            for fmt in ("%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
                if not (wanted & ~regular).any():
                    break
                parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
                same = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), arr), False)
                hit = same.to_numpy(zero_copy_only=False) & ~regular
                secs = parsed.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
                out[hit] = secs[hit]
                regular |= hit
        elif arr is not None and pa.types.is_timestamp(arr.type) and arr.type.tz is None:
            secs = arr.cast(pa.timestamp("us")).cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
            hit = arr.is_valid().to_numpy(zero_copy_only=False) & (secs % 1_000_000 == 0)
            out[hit] = secs[hit] // 1_000_000
            regular |= hit
        regular &= (out >= YEAR_1990) & (out < YEAR_2101)
        empty = arr.is_null().to_numpy(zero_copy_only=False) if arr is not None else \
            np.fromiter((v is None for v in values), bool, len(values))
        irregular = np.flatnonzero(~regular & ~empty)
        for i in irregular:
            try:
                moment = records.parse_datetime(values[i], field)
            except records.FieldError:
                self.bad[rows[i] if rows is not None else i] = True
                continue
            if moment is not None:
                out[i] = int((moment - EPOCH).total_seconds())
        return out


def _fixed_width(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``dd/MM/yyyy HH:mm:ss`` and ``yyyy-MM-ddTHH:mm:ss`` (or with a space) read straight from the bytes
    of the strings that are exactly 19 characters: seconds since 1970 and where it applied (a valid
    calendar date and time; anything else is left to the other readers)."""
    n = len(arr)
    secs = np.zeros(n, np.int64)
    hit = np.zeros(n, bool)
    lengths = pc.binary_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(lengths == 19)
    if not len(rows):
        return secs, hit
    part = arr.take(pa.array(rows)) if len(rows) < n else arr
    data = np.frombuffer(part.buffers()[2], np.uint8)
    start = np.frombuffer(part.buffers()[1], np.int32)[part.offset]
    b = data[start:start + 19 * len(rows)].reshape(len(rows), 19).astype(np.int64)
    digit = (b >= 48) & (b <= 57)
    d = b - 48

    def num(a, z):
        return sum(d[:, k] * 10 ** (z - 1 - k) for k in range(a, z))

    def read(day, month, year, seps, sep_chars, time_at):
        ok = np.all(digit[:, [i for i in range(19) if i not in seps]], axis=1)
        for i, c in zip(seps, sep_chars):
            ok &= np.isin(b[:, i], [ord(x) for x in c])
        y, m, dd = num(*year), num(*month), num(*day)
        h, mi, sec = num(time_at, time_at + 2), num(time_at + 3, time_at + 5), num(time_at + 6, time_at + 8)
        ok &= (m >= 1) & (m <= 12) & (dd >= 1) & (h <= 23) & (mi <= 59) & (sec <= 59) & (y >= 1900)
        month_index = np.where(ok, (y - 1970) * 12 + m - 1, 0)
        first = month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        following = (month_index + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        ok &= dd <= following - first
        return ok, (first + dd - 1) * DAY + h * 3600 + mi * 60 + sec

    ok1, s1 = read((0, 2), (3, 5), (6, 10), (2, 5, 10, 13, 16), ("/", "/", " ", ":", ":"), 11)
    ok2, s2 = read((8, 10), (5, 7), (0, 4), (4, 7, 10, 13, 16), ("-", "-", "T ", ":", ":"), 11)
    secs[rows] = np.where(ok1, s1, s2)
    hit[rows] = ok1 | ok2
    return secs, hit


YEAR_1990 = int((dt.datetime(1990, 1, 1) - EPOCH).total_seconds())
YEAR_2101 = int((dt.datetime(2101, 1, 1) - EPOCH).total_seconds())


# --- the batch -----------------------------------------------------------------------------------------

def normalise_batch(raws: list[dict] | pa.RecordBatch | pa.Table, *, procedures: dict[str, records.ProcedureFacts], agencies: set[str],
                    calendar: WorkCalendar) -> tuple[pa.Table, dict[int, list[records.FieldError]]]:
    """The store rows of ``raws`` (dicts, or the columns of a flat or nested Parquet file) as a table in
    their order, for the valid ones, with a ``month`` column and their positions (``_pos``), and the
    errors of the others by position (as :func:`records.normalise` raises them)."""
    b = Batch(raws)
    n = b.n
    ma = b.text("MaHoSo", required=True)
    tthc = b.text("MaTTHC", required=True)
    agency = b.text("DonViXuLy", required=True)
    b.bad |= np.fromiter((a is None or a not in agencies for a in agency), bool, n)
    officer = b.text("NguoiXuLy")
    channel = b.code("KenhThucHien", (1, 2, 3), default=1)
    status = b.code("TrangThaiHoSo", tuple(range(1, 11)))
    b.bad |= status < 1
    paid = b.code("DuocThanhToanTrucTuyen", (0, 1, 2), default=0)
    reuse_flag = b.code("HoSoCoThanhPhanSoHoa", (0, 1), default=0)
    vneid = b.code("TaiKhoanDuocXacThucVoiVNeID", (0, 1), default=0)
    unhappy = b.code("KhongHaiLong", (0, 1), default=0)
    complaint = b.code("CoPAKN", (0, 1), default=0)
    dates = {f: b.moments(b.values(f), f)
             for f in ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra")}

    # Lists: nested (JSON, nested Parquet) or flat numbers (CSV/XLSX/flat Parquet).
    attached = np.zeros(n, bool)
    digitised = np.zeros(n, bool)
    from_store = np.zeros(n, bool)
    e_result = np.zeros(n, bool)
    fee_info = np.zeros(n, bool)
    fee_total = np.zeros(n)
    flat_docs, flat_results, flat_fees, flat_sups = [], [], [], []
    req_rows: list[int] = []
    req_asked: list = []
    req_done: list = []
    unknown_requests = np.zeros(n, np.int64)  # counted in a flat file beyond the dates given
    list_columns = zip(b.values("TaiLieuNop"), b.values("DanhSachGiayToKetQua"), b.values("DanhSachLePhi"),
                       b.values("DanhSachHoSoBoSung"))
    for i, (docs, results, fees, sups) in enumerate(list_columns):
        try:
            if isinstance(docs, (list, tuple)):
                docs = records._list(docs, "TaiLieuNop")
                attached[i] = any(records._present(d.get("DuongDanTaiTepTin")) for d in docs)
                digitised[i] = any(records._flag(d.get("DuocSoHoa")) for d in docs)
                from_store[i] = any(records._flag(d.get("DuocLayTuKhoDMQG")) for d in docs)
            else:
                flat_docs.append(i)
            if isinstance(results, (list, tuple)):
                results = records._list(results, "DanhSachGiayToKetQua")
                e_result[i] = any(records._present(r.get("DuongDanTepTinKetQua")) for r in results)
            else:
                flat_results.append(i)
            if isinstance(fees, (list, tuple)):
                fees = records._list(fees, "DanhSachLePhi")
                fee_info[i] = bool(fees)
                fee_total[i] = sum(records._number(f.get("Gia"), f"DanhSachLePhi[{k}].Gia") or 0
                                   for k, f in enumerate(fees))
            else:
                flat_fees.append(i)
            if isinstance(sups, (list, tuple)):
                for s in records._list(sups, "DanhSachHoSoBoSung"):
                    if s.get("NgayBoSung") is None:
                        raise records.FieldError("DanhSachHoSoBoSung", "request date missing")
                    req_rows.append(i)
                    req_asked.append(s.get("NgayBoSung"))
                    req_done.append(s.get("NgayTiepNhanBoSung"))
            else:
                flat_sups.append(i)
        except records.FieldError:
            b.bad[i] = True
    if flat_docs:
        counts = b.count(flat_docs, "TaiLieuNop")
        attached[flat_docs] = np.nan_to_num(counts) > 0
        digitised[flat_docs] = b.flag("DuocSoHoa")[flat_docs]
        from_store[flat_docs] = b.flag("DuocLayTuKhoDMQG")[flat_docs]
    if flat_results:
        counts = b.count(flat_results, "DanhSachGiayToKetQua")
        e_result[flat_results] = np.nan_to_num(counts) > 0
    if flat_fees:
        totals = b.number(flat_fees, "DanhSachLePhi")
        fee_info[flat_fees] = ~np.isnan(totals)
        fee_total[flat_fees] = np.nan_to_num(totals)
    if flat_sups:
        counts = np.nan_to_num(b.count(flat_sups, "DanhSachHoSoBoSung")).tolist()
        asked_column, done_column = b.values("NgayBoSung"), b.values("NgayTiepNhanBoSung")
        for k, i in enumerate(flat_sups):
            asked_text, done_text = asked_column[i], done_column[i]
            if not asked_text and not done_text:
                if counts[k]:
                    unknown_requests[i] = int(counts[k])
                continue
            asked_list = [x for x in str(asked_text or "").split(";") if x.strip()]
            done_list = [x for x in str(done_text or "").split(";") if x.strip()]
            c = int(counts[k])
            if c < len(asked_list) or len(done_list) > len(asked_list):
                b.bad[i] = True  # the per-record path names it (or reads the extra completions as it does)
                continue
            for j, text in enumerate(asked_list):
                req_rows.append(i)
                req_asked.append(text)
                req_done.append(done_list[j] if j < len(done_list) else None)
            unknown_requests[i] = c - len(asked_list)
    req_rows_a = np.asarray(req_rows, np.int64)
    order = np.argsort(req_rows_a, kind="stable")  # each record's requests together, in their order
    req_rows_a = req_rows_a[order]
    req_asked = [req_asked[k] for k in order]
    req_done = [req_done[k] for k in order]
    asked = b.moments(req_asked, "NgayBoSung", rows=req_rows_a)
    done = b.moments(req_done, "NgayTiepNhanBoSung", rows=req_rows_a)
    if len(req_rows_a):
        b.bad[req_rows_a[(asked == NA)]] = True  # a request date the per-record path must name
        b.bad[req_rows_a[(asked != NA) & (done != NA) & (done < asked)]] = True
    sup_count = np.bincount(req_rows_a, minlength=n) + unknown_requests

    # Rules between fields.
    received, due_given = dates["NgayTiepNhan"], dates["NgayHenTra"]
    finished = np.isin(status, list(rules.FINISHED))
    not_received = np.isin(status, list(rules.NOT_RECEIVED))
    end = np.where(finished, dates["NgayKetThucXuLy"], NA)
    end = np.where(finished & (end == NA) & (status == rules.RETURNED), dates["NgayTra"], end)
    b.bad |= ~not_received & (received == NA)
    b.bad |= finished & (end == NA)
    b.bad |= (received != NA) & (end != NA) & (end < received)
    b.bad |= (received != NA) & (due_given != NA) & (due_given // DAY < received // DAY)  # due before reception
    legal = np.array([procedures[c].legal_time if c in procedures and procedures[c].legal_time is not None
                      else np.nan for c in tthc])
    in_hours = np.array([c in procedures and procedures[c].legal_time_unit == "working_hours" for c in tthc], bool)
    b.bad |= (received != NA) & (due_given == NA) & np.isnan(legal)  # (named by the per-record path)

    # Calendar rules for the received dossiers that are still good.
    live = (received != NA) & ~b.bad
    moments = [m[live] for m in (received, due_given, end)] + [asked[asked != NA], done[done != NA]]
    present = np.concatenate([m[m != NA] for m in moments]) if moments else np.array([], np.int64)
    pause = np.full(n, NA, np.int64)
    restart = np.full(n, NA, np.int64)
    open_req = np.full(n, NA, np.int64)
    work_days = np.full(n, -1, np.int64)
    if len(present):
        first_year = dt.date.fromordinal(EPOCH_DAY.toordinal() + int(present.min() // DAY)).year
        last_year = dt.date.fromordinal(EPOCH_DAY.toordinal() + int(present.max() // DAY)).year
        table = calendar_table(calendar, first_year - 1, min(last_year + 11, 2111))
        rows = np.flatnonzero(live)
        for m in (received, due_given, end):
            outside = (m[rows] != NA) & ~table.inside(m[rows])
            b.bad[rows[outside]] = True
        if len(req_rows_a):
            outside = ((asked != NA) & ~table.inside(asked)) | ((done != NA) & ~table.inside(done))
            b.bad[req_rows_a[outside]] = True
        live &= ~b.bad
        rows = np.flatnonzero(live)
        legal_seconds = np.where(in_hours, np.round(legal * 3600), np.round(legal * calendar.day_seconds))
        legal_seconds = np.nan_to_num(legal_seconds).astype(np.int64)
        legal_due, beyond = table.add(received[rows], legal_seconds[rows])
        base = np.full(n, NA, np.int64)
        base[rows] = np.where(due_given[rows] != NA, due_given[rows], legal_due)
        b.bad[rows[beyond & (due_given[rows] == NA)]] = True
        pause[:] = base
        restart[:] = base
        last_done = np.full(n, NA, np.int64)
        if len(req_rows_a):
            use = live[req_rows_a]
            completed = use & (asked != NA) & (done != NA)
            # each completed request, in order, extends the paused due date by its working time
            order = np.cumsum(np.ones(len(req_rows_a), np.int64)) - 1
            firsts = np.searchsorted(req_rows_a, req_rows_a)  # requests of a record are consecutive
            position = order - firsts
            comp_idx = np.flatnonzero(completed)
            spent = np.zeros(len(req_rows_a), np.int64)
            spent[comp_idx] = table.worked(done[comp_idx]) - table.worked(asked[comp_idx])
            too_long = (done[comp_idx] // DAY - asked[comp_idx] // DAY) > 3660  # the calendar refuses these
            b.bad[req_rows_a[comp_idx[too_long]]] = True
            for k in range(int(position[comp_idx].max()) + 1 if len(comp_idx) else 0):
                sel = comp_idx[(position[comp_idx] == k) & (spent[comp_idx] > 0)]
                r = req_rows_a[sel]
                moved, beyond = table.add(pause[r], spent[sel])
                pause[r] = moved
                b.bad[r[beyond]] = True
            np.maximum.at(last_done, req_rows_a[comp_idx], done[comp_idx])
            open_idx = np.flatnonzero(use & (asked != NA) & (done == NA))
            np.maximum.at(open_req, req_rows_a[open_idx], asked[open_idx])
            comp_days = np.zeros(n, np.int64)
            np.add.at(comp_days, req_rows_a[comp_idx],
                      table.ordinal_of(done[comp_idx]) - table.ordinal_of(asked[comp_idx]))
        else:
            comp_days = np.zeros(n, np.int64)
        redo = np.flatnonzero(live & (last_done != NA))
        if len(redo):
            with_legal = ~np.isnan(legal[redo])
            allowed = np.maximum(table.worked(base[redo]) - table.worked(received[redo]), 0)
            b.bad[redo[np.abs(base[redo] // DAY - received[redo] // DAY) > 3660]] = True
            seconds = np.where(with_legal, legal_seconds[redo], allowed)
            moved, beyond = table.add(last_done[redo], seconds)
            restart[redo] = moved
            b.bad[redo[beyond]] = True
        ended = np.flatnonzero(live & (end != NA))
        work_days[ended] = np.maximum(table.ordinal_of(end[ended]) - table.ordinal_of(received[ended])
                                      - comp_days[ended], 0)

    good = ~b.bad
    month_of = received.copy()
    for f in ("NgayNopHoSo",):
        month_of = np.where(month_of == NA, dates[f], month_of)
    month_of = np.where(month_of == NA, end, month_of)
    month_of = np.where(month_of == NA, dates["NgayTra"], month_of)

    idx = np.flatnonzero(good)

    def ts(a):
        a = a[idx]
        return pa.array(a, pa.int64(), mask=(a == NA)).cast(pa.timestamp("s"))

    def day(a):
        a = a[idx]
        return pa.array(np.where(a == NA, 0, a // DAY).astype(np.int32), pa.int32(), mask=(a == NA)).cast(pa.date32())

    def texts(values):
        return pa.array([values[i] for i in idx], pa.string())

    def flag(a):
        return pa.array(a[idx], pa.bool_())

    months = pc.strftime(ts(month_of), format="%Y-%m")
    columns = {
        "ma_ho_so": texts(ma), "ma_tthc": texts(tthc), "agency": texts(agency), "officer": texts(officer),
        "channel": pa.array(channel[idx], pa.int8()), "status": pa.array(status[idx], pa.int8()),
        "submitted_at": ts(dates["NgayNopHoSo"]), "received_at": ts(received), "due_at": ts(due_given),
        "end_at": ts(end), "returned_at": ts(dates["NgayTra"]),
        "received_date": day(received), "end_date": day(end),
        "due_pause_at": ts(pause), "due_pause_date": day(pause),
        "due_restart_at": ts(restart), "due_restart_date": day(restart),
        "sup_count": pa.array(sup_count[idx], pa.int16()), "sup_open_date": day(open_req),
        "work_days": pa.array(work_days[idx], pa.int32(), mask=work_days[idx] < 0),
        "paid_online": flag(np.isin(paid, list(rules.PAID_ONLINE))), "fee_info": flag(fee_info),
        "fee_all_zero": flag(fee_info & (fee_total == 0)), "reuse": flag((reuse_flag == 1) | digitised),
        "attached": flag(attached), "e_result": flag(e_result), "from_store": flag(from_store),
        "vneid": flag(vneid == 1), "unhappy": flag((unhappy == 1) | (complaint == 1)),
        "synthetic": flag(b.flag("DuLieuMau")),
        "import_seq": pa.array(np.zeros(len(idx), np.int64)),
    }
    table = pa.table(columns, schema=store.SCHEMA).append_column("month", pc.fill_null(months, "unknown"))
    table = table.append_column("_pos", pa.array(idx, pa.int64()))

    # The others through the per-record path: their errors, or (rarely) a valid row the fast path declined.
    errors: dict[int, list[records.FieldError]] = {}
    extra: list[dict] = []
    for i in np.flatnonzero(~good):
        try:
            row = records.normalise(b.raw(i), procedures=procedures, agencies=agencies, calendar=calendar)
        except records.CollectedErrors as exc:
            errors[int(i)] = exc.errors
            continue
        row["import_seq"] = 0
        row["_pos"] = int(i)
        extra.append(row)
    if extra:
        schema = store.SCHEMA.append(pa.field("month", pa.string())).append(pa.field("_pos", pa.int64()))
        table = pa.concat_tables([table, pa.Table.from_pylist(extra, schema=schema)])
        table = table.take(pc.sort_indices(table.column("_pos")))
    return table, errors
