"""The open-data catalogue: organisations (CKAN organisations, DCAT publishers), datasets with DCAT
metadata, their distributions (files under ``var/opendata``), the append-only history of every state
change, the shared-database catalogue (Danh mục CSDL dùng chung) and the open-data plan (Kế hoạch cung
cấp dữ liệu mở)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.history import AppendOnlyModel

CC_BY_4 = "CC-BY-4.0"


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", _("Sở, ngành")
    IOC = "ioc", "Trung tâm điều hành (IOC)"
    COMMUNE = "commune", _("UBND xã, phường")


class Organization(models.Model):
    """A publisher: a department of the province or the IOC (a CKAN organisation)."""

    id = models.UUIDField(verbose_name=_("mã định danh"), primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(verbose_name=_("tên"), max_length=100, unique=True)
    title_vi = models.CharField(verbose_name=_("tiêu đề tiếng Việt"), max_length=200)
    title_en = models.CharField(verbose_name=_("tiêu đề tiếng Anh"), max_length=200, blank=True)
    kind = models.CharField(verbose_name=_("loại"), max_length=12, choices=OrgKind.choices, default=OrgKind.DEPARTMENT)
    email = models.EmailField(verbose_name=_("thư điện tử"), blank=True)
    description = models.TextField(verbose_name=_("mô tả"), blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("thành viên"), blank=True, related_name="opendata_organizations",
                                     help_text="Staff who may publish for this organisation (with the permission)")
    created = models.DateTimeField(verbose_name=_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("tổ chức")
        verbose_name_plural = pgettext_lazy("plural", "tổ chức")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.title_vi


class Theme(models.TextChoices):
    """The EU data-theme vocabulary (DCAT-AP), which CKAN shows as groups."""

    ECON = "ECON", _("Kinh tế và tài chính")
    GOVE = "GOVE", _("Chính phủ và khu vực công")
    SOCI = "SOCI", _("Dân số và xã hội")
    REGI = "REGI", _("Vùng và đô thị")
    ENVI = "ENVI", _("Môi trường")
    TECH = "TECH", _("Khoa học và công nghệ")
    EDUC = "EDUC", _("Giáo dục, văn hóa, thể thao")
    HEAL = "HEAL", _("Y tế")
    AGRI = "AGRI", _("Nông nghiệp")
    TRAN = "TRAN", _("Giao thông")


class Frequency(models.TextChoices):
    """EU frequency vocabulary; ``iso`` gives the DCAT-US (ISO 8601) form."""

    DAILY = "DAILY", _("Hằng ngày")
    WEEKLY = "WEEKLY", _("Hằng tuần")
    MONTHLY = "MONTHLY", _("Hằng tháng")
    QUARTERLY = "QUARTERLY", _("Hằng quý")
    ANNUAL = "ANNUAL", _("Hằng năm")
    IRREG = "IRREG", _("Không định kỳ")


FREQUENCY_ISO = {"DAILY": "R/P1D", "WEEKLY": "R/P1W", "MONTHLY": "R/P1M", "QUARTERLY": "R/P3M",
                 "ANNUAL": "R/P1Y", "IRREG": "irregular"}


class Origin(models.TextChoices):
    GENERATED = "generated", _("Sinh tự động")
    UPLOADED = "uploaded", _("Tải lên")


class DatasetState(models.TextChoices):
    DRAFT = "draft", _("Chờ duyệt")
    APPROVED = "approved", _("Đã duyệt")
    PUBLISHED = "published", _("Đã công bố")
    WITHDRAWN = "withdrawn", _("Đã rút")
    RETURNED = "returned", _("Bị trả lại")


class Dataset(models.Model):
    id = models.UUIDField(verbose_name=_("mã định danh"), primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(verbose_name=_("tên"), max_length=100, unique=True, help_text="URL name (CKAN name)")
    title_vi = models.CharField(verbose_name=_("tiêu đề tiếng Việt"), max_length=300)
    title_en = models.CharField(verbose_name=_("tiêu đề tiếng Anh"), max_length=300, blank=True)
    description_vi = models.TextField(verbose_name=_("mô tả tiếng Việt"))
    description_en = models.TextField(verbose_name=_("mô tả tiếng Anh"), blank=True)
    publisher = models.ForeignKey(Organization, verbose_name=_("cơ quan công bố"), on_delete=models.PROTECT, related_name="datasets")
    theme = models.CharField(verbose_name=_("chủ đề"), max_length=4, choices=Theme.choices)
    keywords = models.JSONField(verbose_name=_("từ khóa"), default=list, blank=True)
    licence = models.CharField(verbose_name=_("giấy phép"), max_length=32, default=CC_BY_4)
    temporal_start = models.DateField(verbose_name=_("thời gian từ"), null=True, blank=True)
    temporal_end = models.DateField(verbose_name=_("thời gian đến"), null=True, blank=True)
    spatial = models.CharField(verbose_name=_("phạm vi không gian"), max_length=200, blank=True, help_text="Area covered, e.g. the province's name")
    spatial_code = models.CharField(verbose_name=_("mã phạm vi"), max_length=8, blank=True, help_text="Its unit code in the registry")
    frequency = models.CharField(verbose_name=_("tần suất cập nhật"), max_length=10, choices=Frequency.choices, default=Frequency.IRREG)
    contact_name = models.CharField(verbose_name=_("người liên hệ"), max_length=200)
    contact_email = models.EmailField(verbose_name=_("thư điện tử liên hệ"))
    origin = models.CharField(verbose_name=_("nguồn gốc"), max_length=10, choices=Origin.choices)
    generator = models.CharField(verbose_name=_("bộ sinh dữ liệu"), max_length=40, blank=True, help_text="Which generator refreshes it")
    table_schema = models.JSONField(verbose_name=_("lược đồ bảng"), default=dict, blank=True, help_text="Frictionless Table Schema of the table")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False, help_text="Built from synthetic demo data")
    state = models.CharField(verbose_name=_("trạng thái"), max_length=10, choices=DatasetState.choices, default=DatasetState.DRAFT)
    search_text = models.TextField(verbose_name=_("khóa tìm kiếm"), blank=True, editable=False, help_text="Folded title, description, keywords")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    issued = models.DateTimeField(verbose_name=_("ngày công bố"), null=True, blank=True, help_text="First published")
    metadata_created = models.DateTimeField(verbose_name=_("siêu dữ liệu tạo lúc"), default=timezone.now)
    metadata_modified = models.DateTimeField(verbose_name=_("siêu dữ liệu sửa lúc"), default=timezone.now, db_index=True)
    version = models.PositiveIntegerField(verbose_name=_("phiên bản"), default=1,
                                          help_text="Number of the published version (dcat:version)")
    version_notes = models.TextField(verbose_name=_("ghi chú phiên bản"), blank=True,
                                     help_text="What the published version changed (adms:versionNotes)")

    class Meta:
        verbose_name = _("bộ dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "bộ dữ liệu")
        ordering = ("name",)
        permissions = (
            ("publish_dataset", "Đăng dữ liệu mở cho đơn vị mình / Submit open datasets for one's organisation"),
            ("approve_dataset", "Duyệt dữ liệu mở / Approve open datasets"),
        )

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.state == DatasetState.PUBLISHED

    def folder(self):
        from tinhso.opendata import storage

        return storage.dataset_dir(self.name)


class Format(models.TextChoices):
    CSV = "CSV", "CSV"
    XLSX = "XLSX", "XLSX"
    JSON = "JSON", "JSON"
    PARQUET = "Parquet", "Parquet"
    GEOJSON = "GeoJSON", "GeoJSON"
    DATAPACKAGE = "datapackage", "Frictionless Data Package"
    SDMX_CSV = "SDMX-CSV", "SDMX-CSV 2.0"


class Distribution(models.Model):
    id = models.UUIDField(verbose_name=_("mã định danh"), primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, verbose_name=_("bộ dữ liệu"), on_delete=models.CASCADE, related_name="distributions")
    format = models.CharField(verbose_name=_("định dạng"), max_length=12, choices=Format.choices)
    file_name = models.CharField(verbose_name=_("tên tệp"), max_length=120, help_text="File under var/opendata/<dataset>/")
    media_type = models.CharField(verbose_name=_("kiểu MIME"), max_length=100)
    size = models.PositiveBigIntegerField(verbose_name=_("kích thước (byte)"))
    sha256 = models.CharField(verbose_name=_("mã băm SHA-256"), max_length=64)
    created = models.DateTimeField(verbose_name=_("tạo lúc"), default=timezone.now)
    modified = models.DateTimeField(verbose_name=_("sửa lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("tệp phân phối")
        verbose_name_plural = pgettext_lazy("plural", "tệp phân phối")
        ordering = ("dataset", "file_name")
        constraints = (models.UniqueConstraint(fields=["dataset", "file_name"], name="opendata_dist_file_unique"),)

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.file_name}"


class DatasetEvent(AppendOnlyModel):
    """One change of a dataset: submitted, approved, published, refreshed, returned, withdrawn (append-only)."""

    dataset = models.ForeignKey(Dataset, verbose_name=_("bộ dữ liệu"), on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(verbose_name=_("thời điểm"), default=timezone.now)
    action = models.CharField(verbose_name=_("thao tác"), max_length=16)
    from_state = models.CharField(verbose_name=_("từ trạng thái"), max_length=10, blank=True)
    to_state = models.CharField(verbose_name=_("sang trạng thái"), max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(verbose_name=_("tên người thực hiện"), max_length=150)
    note = models.TextField(verbose_name=_("ghi chú"), blank=True)
    version = models.PositiveIntegerField(verbose_name=_("phiên bản"), null=True, blank=True,
                                          help_text="The dataset version the event is about, if any")

    class Meta:
        verbose_name = _("lịch sử bộ dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "lịch sử bộ dữ liệu")
        ordering = ("dataset", "at", "id")


class VersionState(models.TextChoices):
    PENDING = "pending", _("Chờ duyệt")
    RETURNED = "returned", _("Bị trả lại")
    CURRENT = "current", _("Đang công bố")
    PREVIOUS = "previous", _("Phiên bản trước")


class DatasetVersion(models.Model):
    """One version of an uploaded dataset's file: a new one waits (``pending``) for a second person, who
    makes it ``current`` (the one before becomes ``previous``, its files kept under
    ``<opendata>/.versions/<dataset>/<id>/``) or returns it. The dataset keeps its name and identifier."""

    id = models.UUIDField(verbose_name=_("mã định danh"), primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, verbose_name=_("bộ dữ liệu"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(verbose_name=_("số phiên bản"))
    state = models.CharField(verbose_name=_("trạng thái"), max_length=10, choices=VersionState.choices,
                             default=VersionState.PENDING)
    note = models.TextField(verbose_name=_("ghi chú phiên bản"), blank=True)
    rows = models.PositiveIntegerField(verbose_name=_("số dòng"), null=True, blank=True)
    files = models.JSONField(verbose_name=_("tệp"), default=list, blank=True,
                             help_text="[{format, file_name, media_type, size, sha256}]")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người gửi"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(verbose_name=_("gửi lúc"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người duyệt"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(verbose_name=_("duyệt lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("phiên bản bộ dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "phiên bản bộ dữ liệu")
        ordering = ("dataset", "number", "submitted_at")
        constraints = (
            models.UniqueConstraint(fields=["dataset", "number"], condition=~models.Q(state="returned"),
                                    name="opendata_version_number_unique"),
            models.UniqueConstraint(fields=["dataset"], condition=models.Q(state="pending"),
                                    name="opendata_version_one_pending"),
        )

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"


class AccessLevel(models.TextChoices):
    OPEN = "open", _("Mở")
    SHARED = "shared", _("Dùng chung giữa cơ quan")
    RESTRICTED = "restricted", _("Hạn chế")


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", _("Đã kết nối")
    IN_PROGRESS = "in_progress", _("Đang kết nối")
    PLANNED = "planned", _("Chưa kết nối")


class SharedDatabase(models.Model):
    """One database of the province's Danh mục cơ sở dữ liệu dùng chung."""

    code = models.SlugField(verbose_name=_("mã"), max_length=60, unique=True)
    name_vi = models.CharField(verbose_name=_("tên tiếng Việt"), max_length=300)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=300, blank=True)
    owner = models.ForeignKey(Organization, verbose_name=_("chủ quản"), on_delete=models.PROTECT, related_name="databases")
    content = models.TextField(verbose_name=_("nội dung"), help_text="What it holds")
    legal_basis = models.CharField(verbose_name=_("căn cứ pháp lý"), max_length=300, help_text="The decision that lists it")
    access_level = models.CharField(verbose_name=_("mức truy cập"), max_length=10, choices=AccessLevel.choices)
    connection_status = models.CharField(verbose_name=_("tình trạng kết nối"), max_length=12, choices=ConnectionStatus.choices)
    dataset = models.ForeignKey(Dataset, verbose_name=_("bộ dữ liệu"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="Its open dataset, when access is open")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False, help_text="Demo entry, not the province's real catalogue")

    class Meta:
        verbose_name = _("cơ sở dữ liệu dùng chung")
        verbose_name_plural = pgettext_lazy("plural", "cơ sở dữ liệu dùng chung")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name_vi


class PlanItem(models.Model):
    """A dataset promised by the Kế hoạch cung cấp dữ liệu mở: by whom, by when, and whether published."""

    title_vi = models.CharField(verbose_name=_("tiêu đề tiếng Việt"), max_length=300)
    title_en = models.CharField(verbose_name=_("tiêu đề tiếng Anh"), max_length=300, blank=True)
    organization = models.ForeignKey(Organization, verbose_name=_("tổ chức"), on_delete=models.PROTECT, related_name="plan_items")
    due = models.DateField(verbose_name=_("hạn"))
    plan_reference = models.CharField(verbose_name=_("số hiệu kế hoạch"), max_length=200, help_text="The plan (document number, date)")
    dataset = models.ForeignKey(Dataset, verbose_name=_("bộ dữ liệu"), null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_items")
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False, help_text="Demo entry, not the province's real plan")

    class Meta:
        verbose_name = _("hạng mục kế hoạch mở dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "hạng mục kế hoạch mở dữ liệu")
        ordering = ("due", "id")

    def __str__(self) -> str:
        return self.title_vi

    @property
    def published(self) -> bool:
        return self.dataset is not None and self.dataset.state == DatasetState.PUBLISHED

    def is_late(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return not self.published and self.due < today
