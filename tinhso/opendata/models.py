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

from tinhso.core.history import AppendOnlyModel

CC_BY_4 = "CC-BY-4.0"


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", "Sở, ngành / Department"
    IOC = "ioc", "Trung tâm điều hành (IOC)"
    COMMUNE = "commune", "UBND xã, phường / Commune"


class Organization(models.Model):
    """A publisher: a department of the province or the IOC (a CKAN organisation)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title_vi = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=12, choices=OrgKind.choices, default=OrgKind.DEPARTMENT)
    email = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="opendata_organizations",
                                     help_text="Staff who may publish for this organisation (with the permission)")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.title_vi


class Theme(models.TextChoices):
    """The EU data-theme vocabulary (DCAT-AP), which CKAN shows as groups."""

    ECON = "ECON", "Kinh tế và tài chính / Economy and finance"
    GOVE = "GOVE", "Chính phủ và khu vực công / Government and public sector"
    SOCI = "SOCI", "Dân số và xã hội / Population and society"
    REGI = "REGI", "Vùng và đô thị / Regions and cities"
    ENVI = "ENVI", "Môi trường / Environment"
    TECH = "TECH", "Khoa học và công nghệ / Science and technology"
    EDUC = "EDUC", "Giáo dục, văn hóa, thể thao / Education, culture and sport"
    HEAL = "HEAL", "Y tế / Health"
    AGRI = "AGRI", "Nông nghiệp / Agriculture, fisheries, forestry and food"
    TRAN = "TRAN", "Giao thông / Transport"


class Frequency(models.TextChoices):
    """EU frequency vocabulary; ``iso`` gives the DCAT-US (ISO 8601) form."""

    DAILY = "DAILY", "Hằng ngày / Daily"
    WEEKLY = "WEEKLY", "Hằng tuần / Weekly"
    MONTHLY = "MONTHLY", "Hằng tháng / Monthly"
    QUARTERLY = "QUARTERLY", "Hằng quý / Quarterly"
    ANNUAL = "ANNUAL", "Hằng năm / Annual"
    IRREG = "IRREG", "Không định kỳ / Irregular"


FREQUENCY_ISO = {"DAILY": "R/P1D", "WEEKLY": "R/P1W", "MONTHLY": "R/P1M", "QUARTERLY": "R/P3M",
                 "ANNUAL": "R/P1Y", "IRREG": "irregular"}


class Origin(models.TextChoices):
    GENERATED = "generated", "Sinh tự động / Generated"
    UPLOADED = "uploaded", "Tải lên / Uploaded"


class DatasetState(models.TextChoices):
    DRAFT = "draft", "Chờ duyệt / Draft"
    APPROVED = "approved", "Đã duyệt / Approved"
    PUBLISHED = "published", "Đã công bố / Published"
    WITHDRAWN = "withdrawn", "Đã rút / Withdrawn"


class Dataset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True, help_text="URL name (CKAN name)")
    title_vi = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    description_vi = models.TextField()
    description_en = models.TextField(blank=True)
    publisher = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="datasets")
    theme = models.CharField(max_length=4, choices=Theme.choices)
    keywords = models.JSONField(default=list, blank=True)
    licence = models.CharField(max_length=32, default=CC_BY_4)
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    spatial = models.CharField(max_length=200, blank=True, help_text="Area covered, e.g. the province's name")
    spatial_code = models.CharField(max_length=8, blank=True, help_text="Its unit code in the registry")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.IRREG)
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    origin = models.CharField(max_length=10, choices=Origin.choices)
    generator = models.CharField(max_length=40, blank=True, help_text="Which generator refreshes it")
    table_schema = models.JSONField(default=dict, blank=True, help_text="Frictionless Table Schema of the table")
    synthetic = models.BooleanField(default=False, help_text="Built from synthetic demo data")
    state = models.CharField(max_length=10, choices=DatasetState.choices, default=DatasetState.DRAFT)
    search_text = models.TextField(blank=True, editable=False, help_text="Folded title, description, keywords")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    issued = models.DateTimeField(null=True, blank=True, help_text="First published")
    metadata_created = models.DateTimeField(default=timezone.now)
    metadata_modified = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
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
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    format = models.CharField(max_length=12, choices=Format.choices)
    file_name = models.CharField(max_length=120, help_text="File under var/opendata/<dataset>/")
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("dataset", "file_name")
        constraints = (models.UniqueConstraint(fields=["dataset", "file_name"], name="opendata_dist_file_unique"),)

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.file_name}"


class DatasetEvent(AppendOnlyModel):
    """One change of a dataset: submitted, approved, published, refreshed, withdrawn (append-only)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=150)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("dataset", "at", "id")


class AccessLevel(models.TextChoices):
    OPEN = "open", "Mở / Open"
    SHARED = "shared", "Dùng chung giữa cơ quan / Shared between agencies"
    RESTRICTED = "restricted", "Hạn chế / Restricted"


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Đã kết nối / Connected"
    IN_PROGRESS = "in_progress", "Đang kết nối / Being connected"
    PLANNED = "planned", "Chưa kết nối / Not yet connected"


class SharedDatabase(models.Model):
    """One database of the province's Danh mục cơ sở dữ liệu dùng chung."""

    code = models.SlugField(max_length=60, unique=True)
    name_vi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="databases")
    content = models.TextField(help_text="What it holds")
    legal_basis = models.CharField(max_length=300, help_text="The decision that lists it")
    access_level = models.CharField(max_length=10, choices=AccessLevel.choices)
    connection_status = models.CharField(max_length=12, choices=ConnectionStatus.choices)
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="Its open dataset, when access is open")
    synthetic = models.BooleanField(default=False, help_text="Demo entry, not the province's real catalogue")

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name_vi


class PlanItem(models.Model):
    """A dataset promised by the Kế hoạch cung cấp dữ liệu mở: by whom, by when, and whether published."""

    title_vi = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="plan_items")
    due = models.DateField()
    plan_reference = models.CharField(max_length=200, help_text="The plan (document number, date)")
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_items")
    synthetic = models.BooleanField(default=False, help_text="Demo entry, not the province's real plan")

    class Meta:
        ordering = ("due", "id")

    def __str__(self) -> str:
        return self.title_vi

    @property
    def published(self) -> bool:
        return self.dataset is not None and self.dataset.state == DatasetState.PUBLISHED

    def is_late(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return not self.published and self.due < today
