"""The archive of monthly reports: one row per month and scope (the province or one handling unit)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.i18n import pick


class MonthlyReport(models.Model):
    """A month's analysis for the province (``unit_code`` = the province code, ``scope`` province) or
    one handling unit. ``data`` is language-independent JSON: the headline figures, the findings
    (recommendations) with their figures, evidence and rule; the text is written from templates when
    shown, so the same data always reads the same. ``files`` lists the generated documents
    (``{"lang", "format", "path", "sha256", "bytes"}``, paths under MEDIA_ROOT)."""

    class Scope(models.TextChoices):
        PROVINCE = "province", _("Toàn tỉnh")
        UNIT = "unit", _("Đơn vị")

    month = models.DateField(verbose_name=_("tháng"), help_text="First day of the month analysed")
    scope = models.CharField(verbose_name=_("phạm vi"), max_length=10, choices=Scope.choices)
    unit_code = models.CharField(verbose_name=_("mã đơn vị"), max_length=60, help_text="Province code, or the handling unit's code")
    unit_name = models.CharField(verbose_name=_("tên đơn vị"), max_length=200)
    unit_name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=200, blank=True, default="",
                                    help_text="The unit's English name (English pages; empty: the Vietnamese name)")
    data = models.JSONField(verbose_name=_("nội dung"), default=dict)
    findings_count = models.PositiveIntegerField(verbose_name=_("số khuyến nghị"), default=0)
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False, help_text="Computed from synthetic (demo) data")
    files = models.JSONField(verbose_name=_("tệp"), default=list, blank=True)
    created_at = models.DateTimeField(verbose_name=_("tạo lúc"))
    generated_at = models.DateTimeField(verbose_name=_("lập lúc"), help_text="Last (re)generation")
    revision = models.PositiveIntegerField(verbose_name=_("lần lập"), default=1, help_text="How many times it was generated")
    notified_at = models.DateTimeField(verbose_name=_("đã báo lúc"), null=True, blank=True, help_text="When its unit's members were told")

    class Meta:
        verbose_name = _("báo cáo phân tích hằng tháng")
        verbose_name_plural = pgettext_lazy("plural", "báo cáo phân tích hằng tháng")
        ordering = ("-month", "scope", "unit_code")
        constraints = (models.UniqueConstraint(fields=["month", "unit_code"], name="analysis_one_report_per_month_unit"),)
        permissions = (
            ("view_monthly_analysis", "Read the monthly analysis of one's scope / Xem báo cáo phân tích hằng tháng"),
        )

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_code}"

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def local_unit_name(self) -> str:
        """The unit's name in the page's language (its English name on an English page, when it has one)."""
        return pick(self.unit_name, self.unit_name_en)
