"""The indices app computes on demand and stores nothing but *published* results: the ranks and
scores the ministries announced (DTI, PCI, the Decision 766 index…), each with its source, kept
so that the IOC wall can show a province's rank history as published — never an estimate."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PublishedResult(models.Model):
    """One unit's published score and rank in one edition of an index."""

    class Structure(models.TextChoices):
        LEGACY = "legacy", _("63 tỉnh (trước 1/7/2025)")
        CURRENT = "current", _("34 tỉnh (từ 1/7/2025)")

    index = models.SlugField(verbose_name=_("chỉ số"), max_length=32, help_text="dti, pci, svc-766, par, sipas, papi…")
    period = models.CharField(verbose_name=_("kỳ"), max_length=16, help_text="Edition, e.g. 2022 or 2025-W49")
    structure = models.CharField(verbose_name=_("cấu trúc"), max_length=8, choices=Structure.choices)
    unit_code = models.CharField(verbose_name=_("mã đơn vị"), max_length=8, help_text="Province code in that structure")
    unit_name = models.CharField(verbose_name=_("tên đơn vị"), max_length=120)
    score = models.FloatField(verbose_name=_("điểm"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(verbose_name=_("thứ hạng"), null=True, blank=True)
    of_total = models.PositiveSmallIntegerField(verbose_name=_("trên tổng số"), null=True, blank=True, help_text="Units ranked (63, 34…)")
    source = models.CharField(verbose_name=_("nguồn"), max_length=500, help_text="Where it was published (URL or citation)")
    note = models.CharField(verbose_name=_("ghi chú"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("kết quả đã công bố")
        verbose_name_plural = pgettext_lazy("plural", "kết quả đã công bố")
        ordering = ("index", "period", "rank")
        constraints = (models.UniqueConstraint(fields=["index", "period", "structure", "unit_code"],
                                               name="indices_published_unique"),)

    def __str__(self) -> str:
        return f"{self.index} {self.period} {self.unit_name}: {self.rank}"
