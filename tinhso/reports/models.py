"""Citizen field reports (phản ánh hiện trường): the data model.

Vocabulary (states, severities, steps, channels, roles) is defined here as choices; the rules
that act on it live in one service module per concept:

- :mod:`tinhso.reports.workflow`: the state machine (the single table of allowed transitions);
- :mod:`tinhso.reports.routing`: ordered :class:`RoutingRule` rows → :class:`HandlingUnit`;
- :mod:`tinhso.reports.sla`: :class:`DeadlineRule` rows + the working-time calendar → due times;
- :mod:`tinhso.reports.intake`: validated submission (photos through :mod:`tinhso.reports.media`).

Times are stored in UTC (``USE_TZ``); the calendar works in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.history import AppendOnlyModel
from tinhso.core.search import search_key

# ---------------------------------------------------------------------------------------------
# Vocabulary


class State(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("report state", "Mới tiếp nhận")
    VERIFIED = "verified", pgettext_lazy("report state", "Đã xác minh")
    ASSIGNED = "assigned", pgettext_lazy("report state", "Đã chuyển xử lý")
    IN_PROGRESS = "in_progress", pgettext_lazy("report state", "Đang xử lý")
    INFO_REQUESTED = "info_requested", pgettext_lazy("report state", "Chờ người dân bổ sung")
    RESOLVED = "resolved", pgettext_lazy("report state", "Đã xử lý")
    CLOSED = "closed", pgettext_lazy("report state", "Đã đóng")
    REJECTED = "rejected", pgettext_lazy("report state", "Từ chối")
    RETURNED_TO_IOC = "returned_to_ioc", pgettext_lazy("report state", "Trả lại IOC")
    REOPENED = "reopened", pgettext_lazy("report state", "Mở lại")
    MERGED = "merged", pgettext_lazy("report state", "Đã gộp")


class Severity(models.TextChoices):
    URGENT = "urgent", _("Khẩn cấp")
    NORMAL = "normal", _("Thông thường")
    COMPLEX = "complex", _("Phức tạp")


class Step(models.TextChoices):
    """The two timed steps of handling (iHanoi pattern): the unit accepts, then handles."""

    ACCEPT = "accept", _("Tiếp nhận")
    HANDLE = "handle", _("Xử lý")


class Measure(models.TextChoices):
    WORKING_HOURS = "working_hours", _("Giờ làm việc")
    WORKING_DAYS = "working_days", _("Ngày làm việc")
    CALENDAR_HOURS = "calendar_hours", _("Giờ theo lịch")


class Channel(models.TextChoices):
    WEB = "web", "Web"
    OPEN311 = "open311", "Open311"
    APP = "app", _("Ứng dụng")
    OPERATOR = "operator", _("Tổng đài viên")


class Role(models.TextChoices):
    """The staff roles a :class:`Membership` scopes (the role itself is a Django group, see
    :mod:`tinhso.core.roles`; the administrator role has no unit scope and no membership)."""

    OPERATOR = "operator", pgettext_lazy("role", "Điều hành viên IOC")
    HANDLER = "handler", pgettext_lazy("role", "Cán bộ xử lý")
    SUPERVISOR = "supervisor", pgettext_lazy("role", "Lãnh đạo giám sát")
    PLANNER = "planner", pgettext_lazy("role", "Cán bộ kế hoạch")
    LEADER = "leader", pgettext_lazy("role", "Lãnh đạo (chỉ xem)")


class UnitKind(models.TextChoices):
    IOC = "ioc", pgettext_lazy("unit kind", "Trung tâm IOC")
    COMMUNE_COMMITTEE = "commune_committee", pgettext_lazy("unit kind", "UBND xã/phường")
    DEPARTMENT = "department", pgettext_lazy("unit kind", "Sở, ngành")


class PhotoKind(models.TextChoices):
    CITIZEN = "citizen", _("Ảnh người dân")
    RESULT = "result", _("Ảnh kết quả")


# Crockford's base32 without I, L, O, U: readable aloud and over the phone, no 0/O or 1/l confusion.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_base32(count: int) -> str:
    """``count`` characters of :data:`TRACKING_ALPHABET` from ``5 × count`` bits of one draw of the
    operating system's generator (32 letters: 5 bits each, uniform). One ``secrets.randbits`` call
    instead of one ``secrets.choice`` per character (each a system call: a tenth of a submission's time
    under load)."""
    bits = secrets.randbits(5 * count)
    return "".join(TRACKING_ALPHABET[(bits >> (5 * i)) & 31] for i in range(count))


def generate_tracking_code() -> str:
    """An unguessable, readable tracking code: ``PA-XXXXX-XXXXX`` (50 random bits)."""
    chars = random_base32(10)
    return f"PA-{chars[:5]}-{chars[5:]}"


# ---------------------------------------------------------------------------------------------
# Configuration tables (admin-editable)


class Category(models.Model):
    """A kind of report; ``code`` is the Open311 ``service_code``."""

    code = models.SlugField(verbose_name=_("mã"), max_length=40, unique=True, help_text="Open311 service_code")
    name_vi = models.CharField(verbose_name=_("tên tiếng Việt"), max_length=128)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=128, blank=True)
    description_vi = models.TextField(verbose_name=_("mô tả tiếng Việt"), blank=True)
    description_en = models.TextField(verbose_name=_("mô tả tiếng Anh"), blank=True)
    group = models.CharField(verbose_name=_("nhóm"), max_length=64, blank=True, help_text="Open311 group")
    keywords = models.CharField(verbose_name=_("từ khóa"), max_length=255, blank=True, help_text="Comma-separated (Open311 keywords)")
    order = models.PositiveIntegerField(verbose_name=_("thứ tự"), default=100)
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)
    auto_forward = models.BooleanField(verbose_name=_("tự chuyển xử lý"), 
        default=False,
        help_text="Điện Biên model: skip IOC verification, route straight to the responsible unit",
    )
    default_severity = models.CharField(verbose_name=_("mức độ mặc định"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    department_competence = models.BooleanField(verbose_name=_("thuộc thẩm quyền sở"), 
        default=False, help_text="Handled by a provincial department (informative; routing rules decide)"
    )

    class Meta:
        ordering = ("order", "code")
        verbose_name = _("lĩnh vực phản ánh")
        verbose_name_plural = pgettext_lazy("plural", "lĩnh vực phản ánh")

    def __str__(self) -> str:
        return f"{self.name_vi} ({self.code})"


class HandlingUnit(models.Model):
    """Who handles reports: the IOC, a commune People's Committee or a provincial department."""

    code = models.SlugField(verbose_name=_("mã"), max_length=40, unique=True)
    name = models.CharField(verbose_name=_("tên"), max_length=160)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=160, blank=True)
    kind = models.CharField(verbose_name=_("loại"), max_length=20, choices=UnitKind.choices)
    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("xã/phường"), null=True, blank=True, on_delete=models.PROTECT, related_name="handling_units",
        help_text="For commune People's Committees: the current commune they govern",
    )
    email = models.EmailField(verbose_name=_("thư điện tử"), blank=True)
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("đơn vị xử lý")
        verbose_name_plural = pgettext_lazy("plural", "đơn vị xử lý")
        ordering = ("kind", "name")
        constraints = (
            models.UniqueConstraint(
                fields=["commune"], condition=Q(kind="commune_committee"),
                name="reports_one_committee_per_commune",
            ),
        )

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """The unit a user works for in one role. ``unit`` empty = province-wide (IOC operators,
    provincial supervisors, provincial planners and leaders).

    What a role may *do* is the permissions of its Django group (:mod:`tinhso.core.roles`; the
    group is added on save); this table only says *where*: which reports a handler, supervisor or
    leader sees, which units' figures a planner may enter.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản"), on_delete=models.CASCADE, related_name="report_memberships")
    role = models.CharField(verbose_name=_("vai trò"), max_length=12, choices=Role.choices)
    unit = models.ForeignKey(HandlingUnit, verbose_name=_("đơn vị"), null=True, blank=True, on_delete=models.CASCADE, related_name="members")
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("thành viên đơn vị")
        verbose_name_plural = pgettext_lazy("plural", "thành viên đơn vị")
        constraints = (models.UniqueConstraint(fields=["user", "role", "unit"], name="reports_membership_unique"),)

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.unit or 'tỉnh / province'}"

    def save(self, *args, **kwargs):
        from django.contrib.auth.models import Group

        super().save(*args, **kwargs)
        self.user.groups.add(Group.objects.get_or_create(name=self.role)[0])


class RoutingRule(models.Model):
    """Ordered routing: the first active rule (lowest ``order``) whose conditions all match wins.

    An empty condition matches anything. When no rule matches, the report goes to the People's
    Committee of the commune where it was located.
    """

    order = models.PositiveIntegerField(verbose_name=_("thứ tự"), default=100)
    name = models.CharField(verbose_name=_("tên"), max_length=160, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("lĩnh vực"), null=True, blank=True, on_delete=models.CASCADE)
    commune = models.ForeignKey(
        "geo.Unit", verbose_name=_("xã/phường"), null=True, blank=True, on_delete=models.CASCADE,
        help_text="Current commune; empty = anywhere in the province",
    )
    severity = models.CharField(verbose_name=_("mức độ"), max_length=8, choices=Severity.choices, blank=True)
    target = models.ForeignKey(HandlingUnit, verbose_name=_("đơn vị nhận"), on_delete=models.PROTECT, related_name="routing_rules")
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("quy tắc chuyển xử lý")
        verbose_name_plural = pgettext_lazy("plural", "quy tắc chuyển xử lý")
        ordering = ("order", "id")

    def __str__(self) -> str:
        return f"#{self.order} {self.name or self.pk} → {self.target}"


class DeadlineRule(models.Model):
    """Allowed time for one step, per category (empty = any) and severity.

    A category-specific rule beats the general one; without any row the built-in defaults of
    :data:`tinhso.reports.sla.DEFAULT_DEADLINES` apply.
    """

    category = models.ForeignKey(Category, verbose_name=_("lĩnh vực"), null=True, blank=True, on_delete=models.CASCADE)
    severity = models.CharField(verbose_name=_("mức độ"), max_length=8, choices=Severity.choices)
    step = models.CharField(verbose_name=_("bước"), max_length=8, choices=Step.choices)
    amount = models.DecimalField(verbose_name=_("thời lượng"), max_digits=7, decimal_places=2)
    measure = models.CharField(verbose_name=_("đơn vị thời gian"), max_length=16, choices=Measure.choices)
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("quy tắc thời hạn")
        verbose_name_plural = pgettext_lazy("plural", "quy tắc thời hạn")
        ordering = ("category_id", "severity", "step")
        constraints = (
            models.UniqueConstraint(fields=["category", "severity", "step"], name="reports_deadline_unique"),
            models.UniqueConstraint(
                fields=["severity", "step"], condition=Q(category__isnull=True),
                name="reports_deadline_unique_default",
            ),
        )

    def __str__(self) -> str:
        return f"{self.category or '*'} {self.severity} {self.step}: {self.amount} {self.measure}"


class CalendarException(models.Model):
    """A day the holiday library gets wrong: an extra day off, or a make-up working day.

    The ``holidays`` package's Vietnam calendar already has Tết, the other public holidays and
    the make-up Saturdays it knows of; this table is for government decisions it lacks.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm bù")

    date = models.DateField(verbose_name=_("ngày"), unique=True)
    kind = models.CharField(verbose_name=_("loại"), max_length=12, choices=Kind.choices)
    name = models.CharField(verbose_name=_("tên"), max_length=160)
    source = models.CharField(verbose_name=_("nguồn"), max_length=255, blank=True, help_text="Decision / notice that set it")

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = pgettext_lazy("plural", "ngày nghỉ, ngày làm bù")
        ordering = ("date",)

    def __str__(self) -> str:
        return f"{self.date} {self.kind}: {self.name}"


class ApiClient(models.Model):
    """An Open311 client application. Only a SHA-256 hash of its key is stored."""

    name = models.CharField(verbose_name=_("tên"), max_length=120, unique=True)
    key_prefix = models.CharField(verbose_name=_("đầu khóa"), max_length=12, help_text="First characters of the key, to recognise it")
    key_hash = models.CharField(verbose_name=_("mã băm của khóa"), max_length=64, unique=True)
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)
    created_at = models.DateTimeField(verbose_name=_("tạo lúc"), auto_now_add=True)
    last_used_at = models.DateTimeField(verbose_name=_("dùng gần nhất lúc"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    class Meta:
        verbose_name = _("ứng dụng dùng API")
        verbose_name_plural = pgettext_lazy("plural", "ứng dụng dùng API")


# ---------------------------------------------------------------------------------------------
# Reports

OPEN_STATES = frozenset(State) - {State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED}
# Reports the public may list (tinhso.reports.queries.public_q): published by the citizen, checked
# by a person, not spam. Also the condition of the public-listing partial indexes below, so the
# two cannot drift apart (the database uses such an index only when the query repeats it).
PUBLIC_LISTING = (Q(public=True) & (Q(verified_at__isnull=False) | Q(accepted_at__isnull=False))
                  & ~Q(state__in=(State.REJECTED, State.MERGED)))


class Report(models.Model):
    code = models.CharField(verbose_name=_("mã phản ánh"), max_length=16, unique=True, default=generate_tracking_code,
                            help_text="Tracking code given to the citizen (Open311 service_request_id)")
    # No single-column index on category, commune and handling_unit: the composite indexes of
    # Meta.indexes start with them (one B-tree fewer to update per INSERT each).
    category = models.ForeignKey(Category, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="reports",
                                 db_index=False)
    description = models.TextField(verbose_name=_("nội dung"), max_length=4000)
    address = models.CharField(verbose_name=_("địa chỉ"), max_length=255, blank=True)
    lat = models.FloatField(verbose_name=_("vĩ độ"))
    lon = models.FloatField(verbose_name=_("kinh độ"))
    commune = models.ForeignKey("geo.Unit", verbose_name=_("xã/phường"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text="Current commune where the point was located", db_index=False)
    province_code = models.CharField(verbose_name=_("mã tỉnh"), max_length=4)
    # Not indexed (nor api_client below): nothing looks reports up by them, and every submission would
    # write an entry in each. Deleting a boundary version or an API client (rare, in the admin) reads
    # the table to find its reports instead.
    boundary_version = models.ForeignKey("geo.BoundaryVersion", verbose_name=_("phiên bản ranh giới"), null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+", db_index=False)

    handling_unit = models.ForeignKey(HandlingUnit, verbose_name=_("đơn vị xử lý"), null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="reports", db_index=False)
    # The named officer (a handler or supervisor of ``handling_unit``) in charge; cleared whenever
    # the report leaves the unit (see reports/assignment.py).
    assigned_officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cán bộ phụ trách"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+", help_text="Officer of the handling unit in charge",
                                         db_index=False)
    routing_rule = models.ForeignKey(RoutingRule, verbose_name=_("quy tắc chuyển xử lý"), null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text="Rule that fired (empty = default committee)", db_index=False)
    state = models.CharField(verbose_name=_("trạng thái"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    is_open = models.BooleanField(verbose_name=_("đang mở"), default=True, help_text="Open311 status open/closed (kept by the workflow)")
    severity = models.CharField(verbose_name=_("mức độ"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    channel = models.CharField(verbose_name=_("kênh"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    api_client = models.ForeignKey(ApiClient, verbose_name=_("ứng dụng gửi"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    idempotency_scope = models.CharField(verbose_name=_("phạm vi khóa gửi lại"), max_length=40, blank=True, help_text="Who may replay the key: 'client:<api client id>', "
                                         "'api:t:<hash of client token>', 'api:s:'/'web:s:<hash of session>' "
                                         "or 'anon' (see reports/idempotency.py)")
    idempotency_key = models.CharField(verbose_name=_("khóa gửi lại"), max_length=100, blank=True)

    # Private: shown to IOC operators only (see privacy.py).
    reporter_name = models.CharField(verbose_name=_("tên người phản ánh"), max_length=120, blank=True)
    reporter_phone = models.CharField(verbose_name=_("điện thoại người phản ánh"), max_length=32, blank=True)
    reporter_email = models.EmailField(verbose_name=_("thư điện tử người phản ánh"), blank=True)
    public = models.BooleanField(verbose_name=_("cho công khai"), default=True, help_text="The citizen agrees to publish it (without personal data)")
    # Only the submitter may rate, ask to reopen or answer questions: they prove it with the secret
    # given once at submission (tinhso.reports.citizen_secret). Only its SHA-256 is kept; empty =
    # none issued (synthetic demo rows, reports older than the secret), so nobody can act as the citizen.
    citizen_secret_hash = models.CharField(verbose_name=_("mã băm đường dẫn riêng"), max_length=64, blank=True, default="", editable=False)

    created_at = models.DateTimeField(verbose_name=_("tạo lúc"), db_index=True)
    # Not indexed: no query filters or orders by it, and every transition changes it.
    updated_at = models.DateTimeField(verbose_name=_("cập nhật lúc"))
    verified_at = models.DateTimeField(verbose_name=_("xác minh lúc"), null=True, blank=True)
    assigned_at = models.DateTimeField(verbose_name=_("chuyển xử lý lúc"), null=True, blank=True)
    accept_started_at = models.DateTimeField(verbose_name=_("bắt đầu tính hạn tiếp nhận"), null=True, blank=True)
    accept_due = models.DateTimeField(verbose_name=_("hạn tiếp nhận"), null=True, blank=True)
    accepted_at = models.DateTimeField(verbose_name=_("tiếp nhận lúc"), null=True, blank=True)
    handle_due = models.DateTimeField(verbose_name=_("hạn xử lý"), null=True, blank=True)
    expected_at = models.DateTimeField(verbose_name=_("dự kiến xong"), 
        null=True, blank=True, editable=False,
        help_text="Open311 expected_datetime, kept by sla on every deadline change "
                  "(the handle deadline; before acceptance, the accept deadline plus the handle allowance)")
    paused_at = models.DateTimeField(verbose_name=_("tạm dừng từ"), null=True, blank=True, help_text="Waiting for the citizen since (clock paused)")
    resolved_at = models.DateTimeField(verbose_name=_("xử lý xong lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(verbose_name=_("đóng lúc"), null=True, blank=True)

    status_note = models.TextField(verbose_name=_("ghi chú trạng thái"), blank=True, help_text="Latest public note (Open311 status_notes)")
    response_text = models.TextField(verbose_name=_("trả lời"), blank=True, help_text="Handler's public response")
    result_text = models.TextField(verbose_name=_("kết quả"), blank=True, help_text="Result stated when resolving")
    rating = models.PositiveSmallIntegerField(verbose_name=_("đánh giá"), null=True, blank=True)
    rating_comment = models.TextField(verbose_name=_("nhận xét"), blank=True)
    rated_at = models.DateTimeField(verbose_name=_("đánh giá lúc"), null=True, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("gộp vào phản ánh"), null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               help_text="Merged into this report", db_index=False)
    reopen_count = models.PositiveSmallIntegerField(verbose_name=_("số lần mở lại"), default=0)
    synthetic = models.BooleanField(verbose_name=_("dữ liệu mô phỏng"), default=False, help_text="Generated demo data, not a real report")
    search_text = models.TextField(verbose_name=_("khóa tìm kiếm"), blank=True, default="", editable=False,
                                   help_text="Search key of the description and address: folded words between "
                                             "single spaces (tinhso.core.search.search_key), kept on save")

    def refresh_search_text(self) -> None:
        """Fill ``search_text``; bulk inserts that bypass :meth:`save` call this themselves."""
        self.search_text = search_key(f"{self.description} {self.address}")

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        fields = kwargs.get("update_fields")
        if fields is not None and {"description", "address"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_text"}
        super().save(*args, **kwargs)

    class Meta:
        verbose_name = _("phản ánh")
        verbose_name_plural = pgettext_lazy("plural", "phản ánh")
        ordering = ("-created_at",)
        # The roles' rights on reports (granted to groups by tinhso.core.roles; scope from Membership).
        permissions = (
            ("triage_report", "Triage every report of the province (IOC) / Tiếp nhận, phân loại phản ánh"),
            ("handle_report", "Handle the reports of one's unit / Xử lý phản ánh của đơn vị"),
            ("supervise_report", "Supervise the reports of one's unit / Giám sát phản ánh của đơn vị"),
            ("read_scope_reports", "Read the reports of one's scope / Xem phản ánh trong phạm vi"),
        )
        constraints = (
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="reports_idempotency_unique",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="reports_rating_1_5"
            ),
        )
        indexes = (
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["is_open", "created_at"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["handling_unit", "state"]),
            models.Index(fields=["commune", "created_at"]),
            models.Index(fields=["lat", "lon"]),
            # The duplicate search at intake (tinhso.reports.duplicates.find_nearby): open reports of
            # one category in a latitude band, longitude checked in the index; without it the search
            # read every report of the category in its 30-day window.
            models.Index(fields=["category", "lat", "lon"], condition=Q(is_open=True), name="reports_open_nearby"),
            # Columns empty on most rows (and always on a new report): only the rows that have a
            # value are indexed, so intake's INSERT updates none of these three B-trees.
            models.Index(fields=["assigned_officer"], condition=Q(assigned_officer__isnull=False),
                         name="reports_assigned_officer"),
            models.Index(fields=["routing_rule"], condition=Q(routing_rule__isnull=False), name="reports_routing_rule"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="reports_parent"),
            # Public lists (Open311 GET requests, the public map): newest first, optionally by
            # category and open/closed, over the listable reports only.
            models.Index(fields=["-created_at", "-id"], condition=PUBLIC_LISTING, name="reports_public_recent"),
            models.Index(fields=["category", "is_open", "-created_at", "-id"], condition=PUBLIC_LISTING,
                         name="reports_public_category"),
            # The open backlog per unit and commune, with what decides "overdue" (the IOC wall's
            # snapshot, tinhso.ioc.summary.backlog): read from this index alone, over the open
            # reports only (without it SQLite scanned every report for its grouping order).
            models.Index(fields=["handling_unit", "commune", "state", "accept_due", "handle_due", "paused_at"],
                         condition=Q(is_open=True), name="reports_open_backlog"),
        )

    def __str__(self) -> str:
        return self.code


class ReplyTemplate(models.Model):
    """A ready-made answer handlers and operators insert into a reply box (per category, or for all).

    Placeholders filled when inserted: ``{code}`` (tracking code), ``{category}``, ``{unit}``,
    ``{commune}`` (see :mod:`tinhso.reports.replies`).
    """

    category = models.ForeignKey(Category, verbose_name=_("lĩnh vực"), null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="reply_templates", help_text="Empty: offered for every category")
    class Use(models.TextChoices):
        """The reply box a template is offered in (each action's own: a rejection reason is no result)."""

        RESPOND = "respond", _("Trả lời người dân")
        REQUEST_INFO = "request_info", _("Đề nghị bổ sung thông tin")
        RESOLVE = "resolve", _("Kết quả xử lý")
        REJECT = "reject", _("Lý do từ chối")

    title = models.CharField(verbose_name=_("tiêu đề"), max_length=120)
    title_en = models.CharField(verbose_name=_("tiêu đề tiếng Anh"), max_length=120, blank=True,
                                help_text="English title (optional; the Vietnamese one otherwise)")
    use = models.CharField(verbose_name=_("dùng cho"), max_length=20, choices=Use.choices, default=Use.RESPOND,
                           help_text="The reply box it is offered in")
    text_vi = models.TextField(verbose_name=_("nội dung tiếng Việt"), help_text="Vietnamese text; placeholders {code} {category} {unit} {commune}")
    text_en = models.TextField(verbose_name=_("nội dung tiếng Anh"), blank=True, help_text="English text (optional)")
    order = models.PositiveIntegerField(verbose_name=_("thứ tự"), default=100)
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        ordering = ("order", "title")
        verbose_name = _("mẫu trả lời")
        verbose_name_plural = pgettext_lazy("plural", "mẫu trả lời")

    def __str__(self) -> str:
        return self.title


def new_photo_token() -> str:
    """An unguessable photo name (128 random bits): photo URLs cannot be enumerated."""
    return secrets.token_urlsafe(16)


class Photo(models.Model):
    """A stored photo: always re-encoded without metadata by :mod:`tinhso.reports.media`.

    Served only by ``token`` (never by the sequential id, which would let anyone walk through
    every photo) and only to whom :func:`tinhso.reports.privacy.photo_visible` allows.
    """

    report = models.ForeignKey(Report, verbose_name=_("phản ánh"), on_delete=models.CASCADE, related_name="photos")
    token = models.CharField(verbose_name=_("mã ảnh"), max_length=32, unique=True, default=new_photo_token, editable=False)
    kind = models.CharField(verbose_name=_("loại"), max_length=8, choices=PhotoKind.choices, default=PhotoKind.CITIZEN)
    file = models.FileField(verbose_name=_("tệp"), upload_to="reports/%Y/%m/")
    mime = models.CharField(verbose_name=_("kiểu MIME"), max_length=32)
    size = models.PositiveIntegerField(verbose_name=_("kích thước (byte)"))
    width = models.PositiveIntegerField(verbose_name=_("chiều rộng"))
    height = models.PositiveIntegerField(verbose_name=_("chiều cao"))
    sha256 = models.CharField(verbose_name=_("mã băm SHA-256"), max_length=64)
    created_at = models.DateTimeField(verbose_name=_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("ảnh")
        verbose_name_plural = pgettext_lazy("plural", "ảnh")
        ordering = ("id",)


class ReportEvent(AppendOnlyModel):
    """One line of a report's immutable history: who did what, when, from which state to which."""

    # Indexed by (report, at) below, which serves the foreign key too; the actor only where there is one
    # (a citizen's events have none): two submission events wrote five index entries each, now three.
    report = models.ForeignKey(Report, verbose_name=_("phản ánh"), on_delete=models.PROTECT, related_name="events",
                               db_index=False)
    at = models.DateTimeField(verbose_name=_("thời điểm"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    actor_label = models.CharField(verbose_name=_("tên người thực hiện"), max_length=120, help_text="citizen / system / api:<client> / username")
    actor_role = models.CharField(verbose_name=_("vai trò"), max_length=12)
    action = models.CharField(verbose_name=_("thao tác"), max_length=24)
    from_state = models.CharField(verbose_name=_("từ trạng thái"), max_length=16, blank=True)
    to_state = models.CharField(verbose_name=_("sang trạng thái"), max_length=16)
    note = models.TextField(verbose_name=_("ghi chú"), blank=True)
    public = models.BooleanField(verbose_name=_("công khai"), default=False, help_text="Shown to the citizen and the public")
    data = models.JSONField(verbose_name=_("dữ liệu"), default=dict, blank=True, help_text="Details, e.g. corrected fields or the unit")

    class Meta:
        verbose_name = _("lịch sử phản ánh")
        verbose_name_plural = pgettext_lazy("plural", "lịch sử phản ánh")
        ordering = ("at", "id")
        indexes = (models.Index(fields=["report", "at"]),
                   models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="reports_event_actor"))

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}: {self.from_state} → {self.to_state}"
