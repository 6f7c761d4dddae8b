"""Administrative units (current and legacy structures), the 2025 crosswalk, and boundaries.

Two structures live side by side:

- ``legacy``: 63 provinces → 696 districts → ~10,035 communes, valid until 30 June 2025;
- ``current``: 34 provinces → 3,321 communes (xã / phường / đặc khu), valid from 1 July 2025,
  with no district level.

Official statistics-office codes are strings with their zero padding ("68", "00070"). The same
code can name different units in the two structures (province "68" is the old Lâm Đồng and the
new, larger one), so a unit is identified by (structure, code).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.text import fold

REORGANISATION_DATE = dt.date(2025, 7, 1)


class Structure(models.TextChoices):
    CURRENT = "current", _("Hiện hành (từ 1/7/2025)")
    LEGACY = "legacy", _("Trước 1/7/2025")


class Level(models.TextChoices):
    PROVINCE = "province", _("Tỉnh")
    DISTRICT = "district", _("Huyện")
    COMMUNE = "commune", _("Xã")


class Unit(models.Model):
    structure = models.CharField(verbose_name=_("cấu trúc"), max_length=8, choices=Structure.choices)
    level = models.CharField(verbose_name=_("cấp"), max_length=8, choices=Level.choices)
    code = models.CharField(verbose_name=_("mã"), max_length=8, help_text="Official GSO/NSO code with zero padding")
    unit_type = models.CharField(verbose_name=_("loại đơn vị"), max_length=32, help_text="e.g. tỉnh, thành phố, huyện, quận, xã, phường, đặc khu")
    name = models.CharField(verbose_name=_("tên"), max_length=128, help_text="Full name in Vietnamese (NFC), e.g. Phường Phan Thiết")
    short_name = models.CharField(verbose_name=_("tên ngắn"), max_length=128, help_text="Name without the type, e.g. Phan Thiết")
    name_ascii = models.CharField(verbose_name=_("tên không dấu"), max_length=128, db_index=True, help_text="Folded search key")
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=128, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("đơn vị cấp trên"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    province_code = models.CharField(verbose_name=_("mã tỉnh"), max_length=4, db_index=True)
    lat = models.FloatField(verbose_name=_("vĩ độ"), null=True, blank=True, help_text="Centroid latitude (registry), WGS84")
    lon = models.FloatField(verbose_name=_("kinh độ"), null=True, blank=True, help_text="Centroid longitude (registry), WGS84")
    area_km2 = models.FloatField(verbose_name=_("diện tích (km²)"), null=True, blank=True)
    valid_from = models.DateField(verbose_name=_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(verbose_name=_("hiệu lực đến"), null=True, blank=True, help_text="Last day the unit existed; empty if it still does")

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = pgettext_lazy("plural", "đơn vị hành chính")
        constraints = [models.UniqueConstraint(fields=["structure", "code"], name="geo_unit_structure_code")]
        indexes = [models.Index(fields=["structure", "level", "province_code"])]
        ordering = ["structure", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.structure})"

    def save(self, *args, **kwargs):
        self.name_ascii = fold(self.name)
        super().save(*args, **kwargs)

    @property
    def is_current(self) -> bool:
        return self.structure == Structure.CURRENT

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class Succession(models.Model):
    """One edge of the old→new crosswalk (many-to-many).

    ``whole`` means the entire old unit went into ``new``; otherwise only part of it did and
    the old unit has several successors.
    """

    old = models.ForeignKey(Unit, verbose_name=_("đơn vị cũ"), on_delete=models.CASCADE, related_name="successions_as_old")
    new = models.ForeignKey(Unit, verbose_name=_("đơn vị mới"), on_delete=models.CASCADE, related_name="successions_as_new")
    whole = models.BooleanField(verbose_name=_("toàn bộ"), default=True)
    is_default = models.BooleanField(verbose_name=_("mặc định"), 
        default=False, help_text="For split units: the successor the source names as default"
    )
    effective = models.DateField(verbose_name=_("hiệu lực từ"), default=REORGANISATION_DATE)
    source = models.CharField(verbose_name=_("nguồn"), max_length=128)

    class Meta:
        verbose_name = _("kế thừa")
        verbose_name_plural = pgettext_lazy("plural", "kế thừa")
        constraints = [models.UniqueConstraint(fields=["old", "new"], name="geo_succession_old_new")]

    def __str__(self) -> str:
        return f"{self.old.code} → {self.new.code} ({'whole' if self.whole else 'partial'})"


class RegistryLoad(models.Model):
    """Which registry data set is loaded (source, version, licence), for provenance."""

    source = models.CharField(verbose_name=_("nguồn"), max_length=128)
    version = models.CharField(verbose_name=_("phiên bản"), max_length=32)
    licence = models.CharField(verbose_name=_("giấy phép"), max_length=64)
    loaded_at = models.DateTimeField(verbose_name=_("nạp lúc"), auto_now_add=True)
    counts = models.JSONField(verbose_name=_("số lượng"), default=dict)

    class Meta:
        verbose_name = _("lần nạp danh mục")
        verbose_name_plural = pgettext_lazy("plural", "lần nạp danh mục")


class BoundaryQuality(models.TextChoices):
    OFFICIAL = "official", _("Chính thức")
    APPROXIMATE = "approximate", _("Gần đúng")


class BoundaryVersion(models.Model):
    """One import of commune polygons. Imports never overwrite: the newest active one is used."""

    created_at = models.DateTimeField(verbose_name=_("tạo lúc"), auto_now_add=True)
    source = models.CharField(verbose_name=_("nguồn"), max_length=255, help_text="File name or generator")
    sha256 = models.CharField(verbose_name=_("mã băm SHA-256"), max_length=64, blank=True)
    quality = models.CharField(verbose_name=_("chất lượng"), max_length=16, choices=BoundaryQuality.choices)
    feature_count = models.PositiveIntegerField(verbose_name=_("số đối tượng"), default=0)
    is_active = models.BooleanField(verbose_name=_("đang dùng"), default=True)
    note = models.TextField(verbose_name=_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("phiên bản ranh giới")
        verbose_name_plural = pgettext_lazy("plural", "phiên bản ranh giới")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"v{self.pk} {self.quality} ({self.feature_count} communes, {self.source})"


class Boundary(models.Model):
    """A commune polygon in one boundary version, stored as WKB (WGS84) so SQLite and PostgreSQL both hold it."""

    version = models.ForeignKey(BoundaryVersion, verbose_name=_("phiên bản"), on_delete=models.CASCADE, related_name="boundaries")
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="boundaries")
    wkb = models.BinaryField(verbose_name=_("hình học (WKB)"))
    area_km2 = models.FloatField(verbose_name=_("diện tích (km²)"), null=True, blank=True)

    class Meta:
        verbose_name = _("ranh giới")
        verbose_name_plural = pgettext_lazy("plural", "ranh giới")
        constraints = [models.UniqueConstraint(fields=["version", "unit"], name="geo_boundary_version_unit")]
