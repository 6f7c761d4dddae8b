"""The IOC wall's own data: pre-aggregated report figures and the camera registry.

The wall never scans the raw report table per request: :class:`ReportDay` holds one row per
(local day of receipt, handling unit, commune, category) with the counts the wall needs, kept
fresh per change by :mod:`tinhso.ioc.aggregates` (each report change journalled in
:class:`ReportChange`, the journal's sums added in by a short periodic refresh);
:class:`ReportRollup` sums each day's rows along one dimension (total, unit, commune, category) so
the province-wide wall reads few rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Counts(models.Model):
    """The counts kept per group of reports (:class:`ReportDay`, :class:`ReportRollup`).

    Cohort counts (as the published statistics of ``tinhso.reports.stats``): ``resolved``,
    ``on_time`` and the ratings are those of the reports *received* that day, as they stand now.
    ``h0``…``h16`` count resolved reports per handling-time bucket, so a median over any period is
    read from summed histograms.
    """

    received = models.PositiveIntegerField(verbose_name=_("đã nhận"), default=0)
    resolved = models.PositiveIntegerField(verbose_name=_("đã xử lý"), default=0)
    on_time = models.PositiveIntegerField(verbose_name=_("đúng hạn"), default=0)
    rated = models.PositiveIntegerField(verbose_name=_("được đánh giá"), default=0)
    rating_sum = models.PositiveIntegerField(verbose_name=_("tổng điểm đánh giá"), default=0)
    satisfied = models.PositiveIntegerField(verbose_name=_("hài lòng"), default=0)
    synthetic = models.PositiveIntegerField(verbose_name=_("dữ liệu mô phỏng"), default=0, help_text="How many of the received are synthetic")
    # Resolved reports per handling-time bucket (tinhso.ioc.aggregates.HOURS_EDGES): columns, so
    # that a median over any period and grouping is one SUM query.
    h0 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 0"), default=0)
    h1 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 1"), default=0)
    h2 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 2"), default=0)
    h3 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 3"), default=0)
    h4 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 4"), default=0)
    h5 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 5"), default=0)
    h6 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 6"), default=0)
    h7 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 7"), default=0)
    h8 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 8"), default=0)
    h9 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 9"), default=0)
    h10 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 10"), default=0)
    h11 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 11"), default=0)
    h12 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 12"), default=0)
    h13 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 13"), default=0)
    h14 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 14"), default=0)
    h15 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 15"), default=0)
    h16 = models.PositiveIntegerField(verbose_name=_("nhóm thời gian xử lý 16"), default=0)

    class Meta:
        abstract = True


class ReportDay(Counts):
    """Reports received on one local day, for one (handling unit, commune, category)."""

    day = models.DateField(verbose_name=_("ngày"))
    handling_unit = models.ForeignKey("reports.HandlingUnit", verbose_name=_("đơn vị xử lý"), null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+")
    commune = models.ForeignKey("geo.Unit", verbose_name=_("xã/phường"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("reports.Category", verbose_name=_("lĩnh vực"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("tổng hợp phản ánh theo ngày")
        verbose_name_plural = pgettext_lazy("plural", "tổng hợp phản ánh theo ngày")
        indexes = (
            models.Index(fields=["day", "handling_unit"]),
            # The row of one group, for the upkeep's UPDATE … FROM (VALUES …) (ids are positive: -1 stands
            # for "none"; tinhso.ioc.aggregates matches on the same expressions).
            models.Index("day", Coalesce("handling_unit", -1), Coalesce("commune", -1), "category",
                         name="ioc_reportday_group"),
        )
        permissions = (
            ("view_wall", "Xem màn hình điều hành IOC / View the IOC wall"),
        )


class ReportRollup(Counts):
    """The :class:`ReportDay` rows of one day summed along one dimension, for the province-wide wall.

    ``dim``: ``t`` the day's total (``ref`` null), ``u`` per handling unit, ``c`` per commune, ``k``
    per category (``ref`` the unit's, commune's or category's id; null for reports without one). A
    day has ~790 ``ReportDay`` rows at 1,000,000 reports over two years (124 communes × 9 categories,
    and units follow communes) but only ~260 roll-up rows, and each of the wall's queries reads one
    dimension: a month's league table reads ~4,000 rows instead of ~24,000, its totals 60 instead
    of ~47,000. Kept with the day's ``ReportDay`` rows by :mod:`tinhso.ioc.aggregates` (same
    refresh); a unit's own wall reads ``ReportDay`` through its ``(day, handling_unit)`` index.
    """

    class Dim(models.TextChoices):
        TOTAL = "t", "total"
        UNIT = "u", "handling unit"
        COMMUNE = "c", "commune"
        CATEGORY = "k", "category"

    day = models.DateField(verbose_name=_("ngày"))
    dim = models.CharField(verbose_name=_("chiều tổng hợp"), max_length=1, choices=Dim.choices)
    ref = models.IntegerField(verbose_name=_("mã tham chiếu"), null=True, blank=True, help_text="Id of the unit, commune or category (dim u/c/k)")

    class Meta:
        verbose_name = _("tổng hợp phản ánh theo chiều")
        verbose_name_plural = pgettext_lazy("plural", "tổng hợp phản ánh theo chiều")
        indexes = (
            models.Index(fields=["dim", "day"], name="ioc_rollup_dim_day"),
            models.Index("day", "dim", Coalesce("ref", -1), name="ioc_rollup_key"),
        )


class ReportChange(models.Model):
    """One pending change to the pre-aggregates: a report's contribution added (``weight`` +1) or
    taken away (−1), written in the same transaction as the report by :mod:`tinhso.ioc.aggregates`.

    Append-only between refreshes (no row is ever updated, so concurrent submissions never wait on
    each other); :func:`tinhso.ioc.aggregates.refresh` claims the rows (``DELETE … RETURNING``) and
    adds their sums to the :class:`ReportDay` rows and roll-ups they touch. The columns describe the
    report as the aggregates count it: the local day it was received and its group, whether it is
    resolved (and on time, and in which handling-time bucket), its rating, whether it is synthetic.
    """

    day = models.DateField(verbose_name=_("ngày"))
    handling_unit_id = models.IntegerField(verbose_name=_("đơn vị xử lý"), null=True, blank=True)
    commune_id = models.IntegerField(verbose_name=_("xã/phường"), null=True, blank=True)
    category_id = models.IntegerField(verbose_name=_("lĩnh vực"))
    weight = models.SmallIntegerField(verbose_name=_("trọng số"), help_text="+1 added, -1 taken away")
    resolved = models.BooleanField(verbose_name=_("đã xử lý"), default=False)
    on_time = models.BooleanField(verbose_name=_("đúng hạn"), default=False)
    rating = models.SmallIntegerField(verbose_name=_("đánh giá"), null=True, blank=True)
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False)
    bucket = models.SmallIntegerField(verbose_name=_("nhóm thời gian xử lý"), null=True, blank=True)

    class Meta:
        verbose_name = _("thay đổi chờ tổng hợp")
        verbose_name_plural = pgettext_lazy("plural", "thay đổi chờ tổng hợp")


class RefreshMark(models.Model):
    """Up to when the pre-aggregates of ``name`` were last brought up to date (a high-water mark)."""

    name = models.CharField(verbose_name=_("tên"), max_length=32, primary_key=True)
    at = models.DateTimeField(verbose_name=_("thời điểm"))

    class Meta:
        verbose_name = _("mốc làm mới")
        verbose_name_plural = pgettext_lazy("plural", "mốc làm mới")


class Camera(models.Model):
    """A camera the IOC can show (Phan Thiết's high-mounted and ward cameras are the model).

    tinhso does no video processing: it shows HLS streams in the browser (hls.js) or links to
    the operator's own viewer.
    """

    class Status(models.TextChoices):
        ONLINE = "online", _("Hoạt động")
        OFFLINE = "offline", _("Mất kết nối")
        MAINTENANCE = "maintenance", _("Bảo trì")

    class Kind(models.TextChoices):
        HLS = "hls", "HLS (.m3u8)"
        LINK = "link", _("Liên kết trình xem")

    name = models.CharField(verbose_name=_("tên"), max_length=160)
    lat = models.FloatField(verbose_name=_("vĩ độ"))
    lon = models.FloatField(verbose_name=_("kinh độ"))
    commune = models.ForeignKey("geo.Unit", verbose_name=_("xã/phường"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.CharField(verbose_name=_("chủ quản"), max_length=160, blank=True, help_text="Đơn vị quản lý / Owner")
    stream_kind = models.CharField(verbose_name=_("loại luồng"), max_length=8, choices=Kind.choices, default=Kind.HLS)
    stream_url = models.URLField(verbose_name=_("địa chỉ luồng"), max_length=500, blank=True)
    status = models.CharField(verbose_name=_("tình trạng"), max_length=12, choices=Status.choices, default=Status.ONLINE)
    public = models.BooleanField(verbose_name=_("công khai"), default=False, help_text="Shown on the public wall")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("camera")
        verbose_name_plural = pgettext_lazy("plural", "camera")

    def __str__(self) -> str:
        return self.name
