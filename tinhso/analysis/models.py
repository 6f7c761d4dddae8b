"""The archive of monthly reports: one row per month and scope (the province or one handling unit)."""

from __future__ import annotations

from django.db import models


class MonthlyReport(models.Model):
    """A month's analysis for the province (``unit_code`` = the province code, ``scope`` province) or
    one handling unit. ``data`` is language-independent JSON: the headline figures, the findings
    (recommendations) with their figures, evidence and rule; the text is written from templates when
    shown, so the same data always reads the same. ``files`` lists the generated documents
    (``{"lang", "format", "path", "sha256", "bytes"}``, paths under MEDIA_ROOT)."""

    class Scope(models.TextChoices):
        PROVINCE = "province", "Toàn tỉnh / Province"
        UNIT = "unit", "Đơn vị / Unit"

    month = models.DateField(help_text="First day of the month analysed")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    unit_code = models.CharField(max_length=60, help_text="Province code, or the handling unit's code")
    unit_name = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    findings_count = models.PositiveIntegerField(default=0)
    synthetic = models.BooleanField(default=False, help_text="Computed from synthetic (demo) data")
    files = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    generated_at = models.DateTimeField(help_text="Last (re)generation")
    revision = models.PositiveIntegerField(default=1, help_text="How many times it was generated")
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When its unit's members were told")

    class Meta:
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
