"""The catalogue side of dossier analytics, kept in the Django database.

Dossiers themselves are analytic data (millions a year) and live in the columnar store
(:mod:`tinhso.dossiers.store`); the database keeps what pages and rules look up by key: the
procedure catalogue (TTHC), the agencies that handle dossiers (tied to the units registry), the
values an operator supplies for indicators the records cannot give, and the append-only log of
imports whose sequence numbers decide which version of a dossier is current.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.history import AppendOnlyModel


class OnlineLevel(models.TextChoices):
    NONE = "none", _("Không có DVC trực tuyến")
    PARTIAL = "partial", _("DVC trực tuyến một phần")
    FULL = "full", _("DVC trực tuyến toàn trình")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("Ngày làm việc")
    WORKING_HOURS = "working_hours", _("Giờ làm việc")


class Subjects(models.TextChoices):
    CITIZENS = "citizens", _("Công dân")
    ORGANISATIONS = "organisations", _("Tổ chức")
    BOTH = "both", _("Công dân và tổ chức")


class Procedure(models.Model):
    """One administrative procedure (thủ tục hành chính) of the national TTHC database."""

    code = models.CharField(verbose_name=_("mã"), max_length=40, unique=True, help_text="MaTTHC, e.g. 1.001612")
    name = models.CharField(verbose_name=_("tên"), max_length=500)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=500, blank=True,
                               help_text="TenTTHCTiengAnh; empty: English pages show the Vietnamese name")
    field = models.CharField(verbose_name=_("lĩnh vực"), max_length=200, blank=True, help_text="Lĩnh vực")
    online_level = models.CharField(verbose_name=_("mức trực tuyến"), max_length=8, choices=OnlineLevel.choices, default=OnlineLevel.NONE)
    eligible_full_online = models.BooleanField(verbose_name=_("đủ điều kiện trực tuyến toàn trình"), default=False, help_text="Đủ điều kiện cung cấp DVC toàn trình")
    legal_time = models.DecimalField(verbose_name=_("thời hạn giải quyết"), max_digits=7, decimal_places=2, null=True, blank=True,
                                     help_text="Thời hạn giải quyết theo quy định")
    legal_time_unit = models.CharField(verbose_name=_("đơn vị thời hạn"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    fee_bearing = models.BooleanField(verbose_name=_("có phí, lệ phí"), default=False, help_text="Có phí, lệ phí (nghĩa vụ tài chính)")
    requires_paper_result = models.BooleanField(verbose_name=_("cần kết quả giấy"), default=False, help_text="Kết quả giải quyết là giấy tờ")
    subjects = models.CharField(verbose_name=_("đối tượng"), max_length=16, choices=Subjects.choices, default=Subjects.BOTH)
    # Publication facts for group 1 (1.1–1.3)
    legal_basis_effective = models.DateField(verbose_name=_("căn cứ pháp lý có hiệu lực"), null=True, blank=True,
                                             help_text="Ngày có hiệu lực muộn nhất của căn cứ pháp lý")
    publication_decision_date = models.DateField(verbose_name=_("ngày quyết định công bố"), null=True, blank=True, help_text="Ngày ký quyết định công bố (QĐCB)")
    publicised_date = models.DateField(verbose_name=_("ngày công khai"), null=True, blank=True, help_text="Ngày công khai trên CSDL quốc gia về TTHC")
    parts_complete = models.BooleanField(verbose_name=_("đủ thành phần"), null=True, blank=True,
                                         help_text="Công khai đủ 7 bộ phận (Điều 8(2) Nghị định 63/2010)")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False, help_text="Demo data, not a real catalogue entry")

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = pgettext_lazy("plural", "thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AgencyKind(models.TextChoices):
    DEPARTMENT = "department", _("Sở, ban, ngành")
    COMMUNE = "commune", _("UBND cấp xã")


class Agency(models.Model):
    """A unit that receives and handles dossiers (``DonViXuLy``): a department of the province or a
    commune People's Committee. Departments point at the province's Unit, committees at their commune."""

    code = models.CharField(verbose_name=_("mã"), max_length=60, unique=True, help_text="As written in DonViXuLy")
    name = models.CharField(verbose_name=_("tên"), max_length=200)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=200, blank=True)
    kind = models.CharField(verbose_name=_("loại"), max_length=12, choices=AgencyKind.choices)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("đơn vị hành chính"), on_delete=models.PROTECT, related_name="dossier_agencies")
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("cơ quan giải quyết")
        verbose_name_plural = pgettext_lazy("plural", "cơ quan giải quyết")

    def __str__(self) -> str:
        return self.name


class SuppliedValue(models.Model):
    """A rate (percent) for an indicator the records cannot give (1.4 sync rate, 4.2c, 5.2, 5.3 …).

    ``agency`` empty = the province and every agency without its own value; ``period`` empty = every
    period. The most specific row wins.
    """

    indicator = models.CharField(verbose_name=_("chỉ tiêu"), max_length=8)
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.CASCADE)
    period = models.CharField(verbose_name=_("kỳ"), max_length=10, blank=True)
    value = models.FloatField(verbose_name=_("giá trị"), help_text="Rate in percent, 0–100")
    note = models.CharField(verbose_name=_("ghi chú"), max_length=300, blank=True)
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False)
    updated_at = models.DateTimeField(verbose_name=_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("giá trị cung cấp")
        verbose_name_plural = pgettext_lazy("plural", "giá trị cung cấp")
        constraints = [models.UniqueConstraint(fields=["indicator", "agency", "period"],
                                               name="dossiers_supplied_unique")]
        ordering = ["indicator", "period"]

    def __str__(self) -> str:
        return f"{self.indicator} = {self.value:g} ({self.agency or 'tỉnh'}, {self.period or 'mọi kỳ'})"


class DossierImport(AppendOnlyModel):
    """One import into the dossier store. Its id is the import sequence: when a dossier (``MaHoSo``)
    is in several imports, the row of the highest sequence is the current one."""

    file_name = models.CharField(verbose_name=_("tên tệp"), max_length=300)
    sha256 = models.CharField(verbose_name=_("mã băm SHA-256"), max_length=64)
    file_format = models.CharField(verbose_name=_("định dạng tệp"), max_length=10)
    records = models.PositiveIntegerField(verbose_name=_("số bản ghi"))
    months = models.JSONField(verbose_name=_("các tháng"), default=list, help_text="Store partitions written")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False)
    created_at = models.DateTimeField(verbose_name=_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("lần nhập hồ sơ")
        verbose_name_plural = pgettext_lazy("plural", "lần nhập hồ sơ")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.records})"


class FeedbackKind(models.TextChoices):
    REGULATION = "regulation", _("Về quy định, TTHC")
    CONDUCT = "conduct", _("Về hành vi cán bộ")


class Feedback(models.Model):
    """A citizen's feedback or petition (phản ánh, kiến nghị — PAKN) about a procedure or its handling,
    for 5.1–5.3. Few per agency (thousands a year), so kept in the database."""

    code = models.CharField(verbose_name=_("mã"), max_length=60, unique=True, help_text="MaPAKN")
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="feedback")
    kind = models.CharField(verbose_name=_("loại"), max_length=12, choices=FeedbackKind.choices, default=FeedbackKind.REGULATION)
    procedure_code = models.CharField(verbose_name=_("mã thủ tục"), max_length=40, blank=True, help_text="MaTTHC it is about, if any")
    dossier_code = models.CharField(verbose_name=_("mã hồ sơ"), max_length=100, blank=True, help_text="MaHoSo it is about, if any")
    received_at = models.DateTimeField(verbose_name=_("nhận lúc"))
    due_at = models.DateTimeField(verbose_name=_("hạn xử lý"), help_text="Hạn xử lý")
    handled_at = models.DateTimeField(verbose_name=_("xử lý lúc"), null=True, blank=True)
    dissatisfied = models.BooleanField(verbose_name=_("không hài lòng"), default=False, help_text="Người dân không hài lòng với kết quả xử lý")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = pgettext_lazy("plural", "phản ánh, kiến nghị")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["agency", "received_at"])]

    def __str__(self) -> str:
        return self.code


class AgencyMember(models.Model):
    """A staff account working in one agency. With the permission ``dossiers.view_agency_dossiers`` the
    account sees the dossier lists (and due-soon) of its agencies only; ``dossiers.view_all_dossiers``
    opens every agency of the province (IOC operators, the provincial one-stop office)."""

    user = models.ForeignKey("auth.User", verbose_name=_("tài khoản"), on_delete=models.CASCADE, related_name="dossier_agencies")
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="members")

    class Meta:
        verbose_name = _("cán bộ cơ quan")
        verbose_name_plural = pgettext_lazy("plural", "cán bộ cơ quan")
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="dossiers_member_unique")]
        permissions = [
            ("view_all_dossiers", "Xem hồ sơ TTHC của mọi cơ quan / View the dossiers of every agency"),
            ("view_agency_dossiers", "Xem hồ sơ TTHC của cơ quan mình / View the dossiers of one's own agencies"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.code}"
