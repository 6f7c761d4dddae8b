"""The IOC wall's own data: pre-aggregated report figures and the camera registry.

The wall never scans the raw report table per request: :class:`ReportDay` holds one row per
(local day of receipt, handling unit, commune, category) with the counts the wall needs, kept
fresh by :mod:`tinhso.ioc.aggregates` (the days of the reports changed since the last refresh are
recomputed from that day's reports only).
"""

from __future__ import annotations

from django.db import models


class ReportDay(models.Model):
    """Reports received on one local day, for one (handling unit, commune, category).

    Cohort counts (as the published statistics of ``tinhso.reports.stats``): ``resolved``,
    ``on_time`` and the ratings are those of the reports *received* that day, as they stand now.
    ``h0``…``h16`` count resolved reports per handling-time bucket, so a median over any period is
    read from summed histograms.
    """

    day = models.DateField()
    handling_unit = models.ForeignKey("reports.HandlingUnit", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+")
    commune = models.ForeignKey("geo.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("reports.Category", on_delete=models.CASCADE, related_name="+")
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    synthetic = models.PositiveIntegerField(default=0, help_text="How many of the received are synthetic")
    # Resolved reports per handling-time bucket (tinhso.ioc.aggregates.HOURS_EDGES): columns, so
    # that a median over any period and grouping is one SUM query.
    h0 = models.PositiveIntegerField(default=0)
    h1 = models.PositiveIntegerField(default=0)
    h2 = models.PositiveIntegerField(default=0)
    h3 = models.PositiveIntegerField(default=0)
    h4 = models.PositiveIntegerField(default=0)
    h5 = models.PositiveIntegerField(default=0)
    h6 = models.PositiveIntegerField(default=0)
    h7 = models.PositiveIntegerField(default=0)
    h8 = models.PositiveIntegerField(default=0)
    h9 = models.PositiveIntegerField(default=0)
    h10 = models.PositiveIntegerField(default=0)
    h11 = models.PositiveIntegerField(default=0)
    h12 = models.PositiveIntegerField(default=0)
    h13 = models.PositiveIntegerField(default=0)
    h14 = models.PositiveIntegerField(default=0)
    h15 = models.PositiveIntegerField(default=0)
    h16 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = (models.Index(fields=["day", "handling_unit"]),)
        permissions = (
            ("view_wall", "Xem màn hình điều hành IOC / View the IOC wall"),
        )


class RefreshMark(models.Model):
    """Up to when the pre-aggregates of ``name`` were last brought up to date (a high-water mark)."""

    name = models.CharField(max_length=32, primary_key=True)
    at = models.DateTimeField()


class Camera(models.Model):
    """A camera the IOC can show (Phan Thiết's high-mounted and ward cameras are the model).

    tinhso does no video processing: it shows HLS streams in the browser (hls.js) or links to
    the operator's own viewer.
    """

    class Status(models.TextChoices):
        ONLINE = "online", "Hoạt động / Online"
        OFFLINE = "offline", "Mất kết nối / Offline"
        MAINTENANCE = "maintenance", "Bảo trì / Maintenance"

    class Kind(models.TextChoices):
        HLS = "hls", "HLS (.m3u8)"
        LINK = "link", "Liên kết trình xem / Viewer link"

    name = models.CharField(max_length=160)
    lat = models.FloatField()
    lon = models.FloatField()
    commune = models.ForeignKey("geo.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.CharField(max_length=160, blank=True, help_text="Đơn vị quản lý / Owner")
    stream_kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.HLS)
    stream_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ONLINE)
    public = models.BooleanField(default=False, help_text="Shown on the public wall")
    synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ("name",)
        verbose_name = "camera"

    def __str__(self) -> str:
        return self.name
