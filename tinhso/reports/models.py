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

from tinhso.core.history import AppendOnlyModel

# ---------------------------------------------------------------------------------------------
# Vocabulary


class State(models.TextChoices):
    SUBMITTED = "submitted", "Mới tiếp nhận / Submitted"
    VERIFIED = "verified", "Đã xác minh / Verified"
    ASSIGNED = "assigned", "Đã chuyển xử lý / Assigned"
    IN_PROGRESS = "in_progress", "Đang xử lý / In progress"
    INFO_REQUESTED = "info_requested", "Chờ người dân bổ sung / Waiting for the citizen"
    RESOLVED = "resolved", "Đã xử lý / Resolved"
    CLOSED = "closed", "Đã đóng / Closed"
    REJECTED = "rejected", "Từ chối / Rejected"
    RETURNED_TO_IOC = "returned_to_ioc", "Trả lại IOC / Returned to the IOC"
    REOPENED = "reopened", "Mở lại / Reopened"
    MERGED = "merged", "Đã gộp / Merged"


class Severity(models.TextChoices):
    URGENT = "urgent", "Khẩn cấp / Urgent"
    NORMAL = "normal", "Thông thường / Normal"
    COMPLEX = "complex", "Phức tạp / Complex"


class Step(models.TextChoices):
    """The two timed steps of handling (iHanoi pattern): the unit accepts, then handles."""

    ACCEPT = "accept", "Tiếp nhận / Accept"
    HANDLE = "handle", "Xử lý / Handle"


class Measure(models.TextChoices):
    WORKING_HOURS = "working_hours", "Giờ làm việc / Working hours"
    WORKING_DAYS = "working_days", "Ngày làm việc / Working days"
    CALENDAR_HOURS = "calendar_hours", "Giờ theo lịch / Calendar hours"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    OPEN311 = "open311", "Open311"
    APP = "app", "Ứng dụng / App"
    OPERATOR = "operator", "Tổng đài viên / Operator entry"


class Role(models.TextChoices):
    """The staff roles a :class:`Membership` scopes (the role itself is a Django group, see
    :mod:`tinhso.core.roles`; the administrator role has no unit scope and no membership)."""

    OPERATOR = "operator", "Điều hành viên IOC / IOC operator"
    HANDLER = "handler", "Cán bộ xử lý / Handler"
    SUPERVISOR = "supervisor", "Lãnh đạo giám sát / Supervisor"
    PLANNER = "planner", "Cán bộ kế hoạch / Planner"
    LEADER = "leader", "Lãnh đạo (chỉ xem) / Leader (read-only)"


class UnitKind(models.TextChoices):
    IOC = "ioc", "Trung tâm IOC / IOC"
    COMMUNE_COMMITTEE = "commune_committee", "UBND xã/phường / Commune People's Committee"
    DEPARTMENT = "department", "Sở, ngành / Provincial department"


class PhotoKind(models.TextChoices):
    CITIZEN = "citizen", "Ảnh người dân / Citizen photo"
    RESULT = "result", "Ảnh kết quả / Result photo"


# Crockford's base32 without I, L, O, U: readable aloud and over the phone, no 0/O or 1/l confusion.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def generate_tracking_code() -> str:
    """An unguessable, readable tracking code: ``PA-XXXXX-XXXXX`` (50 random bits)."""
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))
    return f"PA-{chars[:5]}-{chars[5:]}"


# ---------------------------------------------------------------------------------------------
# Configuration tables (admin-editable)


class Category(models.Model):
    """A kind of report; ``code`` is the Open311 ``service_code``."""

    code = models.SlugField(max_length=40, unique=True, help_text="Open311 service_code")
    name_vi = models.CharField(max_length=128)
    name_en = models.CharField(max_length=128, blank=True)
    description_vi = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    group = models.CharField(max_length=64, blank=True, help_text="Open311 group")
    keywords = models.CharField(max_length=255, blank=True, help_text="Comma-separated (Open311 keywords)")
    order = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)
    auto_forward = models.BooleanField(
        default=False,
        help_text="Điện Biên model: skip IOC verification, route straight to the responsible unit",
    )
    default_severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    department_competence = models.BooleanField(
        default=False, help_text="Handled by a provincial department (informative; routing rules decide)"
    )

    class Meta:
        ordering = ("order", "code")
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.name_vi} ({self.code})"


class HandlingUnit(models.Model):
    """Who handles reports: the IOC, a commune People's Committee or a provincial department."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=160)
    name_en = models.CharField(max_length=160, blank=True)
    kind = models.CharField(max_length=20, choices=UnitKind.choices)
    commune = models.ForeignKey(
        "geo.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="handling_units",
        help_text="For commune People's Committees: the current commune they govern",
    )
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    unit = models.ForeignKey(HandlingUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="members")
    active = models.BooleanField(default=True)

    class Meta:
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

    order = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=160, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    commune = models.ForeignKey(
        "geo.Unit", null=True, blank=True, on_delete=models.CASCADE,
        help_text="Current commune; empty = anywhere in the province",
    )
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    target = models.ForeignKey(HandlingUnit, on_delete=models.PROTECT, related_name="routing_rules")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("order", "id")

    def __str__(self) -> str:
        return f"#{self.order} {self.name or self.pk} → {self.target}"


class DeadlineRule(models.Model):
    """Allowed time for one step, per category (empty = any) and severity.

    A category-specific rule beats the general one; without any row the built-in defaults of
    :data:`tinhso.reports.sla.DEFAULT_DEADLINES` apply.
    """

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    step = models.CharField(max_length=8, choices=Step.choices)
    amount = models.DecimalField(max_digits=7, decimal_places=2)
    measure = models.CharField(max_length=16, choices=Measure.choices)
    active = models.BooleanField(default=True)

    class Meta:
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
        HOLIDAY = "holiday", "Ngày nghỉ / Day off"
        WORKING_DAY = "working_day", "Ngày làm bù / Make-up working day"

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=160)
    source = models.CharField(max_length=255, blank=True, help_text="Decision / notice that set it")

    class Meta:
        ordering = ("date",)

    def __str__(self) -> str:
        return f"{self.date} {self.kind}: {self.name}"


class ApiClient(models.Model):
    """An Open311 client application. Only a SHA-256 hash of its key is stored."""

    name = models.CharField(max_length=120, unique=True)
    key_prefix = models.CharField(max_length=12, help_text="First characters of the key, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


# ---------------------------------------------------------------------------------------------
# Reports

OPEN_STATES = frozenset(State) - {State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED}
# Reports the public may list (tinhso.reports.queries.public_q): published by the citizen, checked
# by a person, not spam. Also the condition of the public-listing partial indexes below, so the
# two cannot drift apart (the database uses such an index only when the query repeats it).
PUBLIC_LISTING = (Q(public=True) & (Q(verified_at__isnull=False) | Q(accepted_at__isnull=False))
                  & ~Q(state__in=(State.REJECTED, State.MERGED)))


class Report(models.Model):
    code = models.CharField(max_length=16, unique=True, default=generate_tracking_code,
                            help_text="Tracking code given to the citizen (Open311 service_request_id)")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    description = models.TextField(max_length=4000)
    address = models.CharField(max_length=255, blank=True)
    lat = models.FloatField()
    lon = models.FloatField()
    commune = models.ForeignKey("geo.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text="Current commune where the point was located")
    province_code = models.CharField(max_length=4)
    boundary_version = models.ForeignKey("geo.BoundaryVersion", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")

    handling_unit = models.ForeignKey(HandlingUnit, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="reports")
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text="Rule that fired (empty = default committee)")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SUBMITTED)
    is_open = models.BooleanField(default=True, help_text="Open311 status open/closed (kept by the workflow)")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    api_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    idempotency_scope = models.CharField(max_length=40, blank=True, help_text="Who may replay the key: 'client:<api client id>', "
                                         "'api:t:<hash of client token>', 'api:s:'/'web:s:<hash of session>' "
                                         "or 'anon' (see reports/idempotency.py)")
    idempotency_key = models.CharField(max_length=100, blank=True)

    # Private: shown to IOC operators only (see privacy.py).
    reporter_name = models.CharField(max_length=120, blank=True)
    reporter_phone = models.CharField(max_length=32, blank=True)
    reporter_email = models.EmailField(blank=True)
    public = models.BooleanField(default=True, help_text="The citizen agrees to publish it (without personal data)")
    # Only the submitter may rate, ask to reopen or answer questions: they prove it with the secret
    # given once at submission (tinhso.reports.citizen_secret). Only its SHA-256 is kept; empty =
    # none issued (synthetic demo rows, reports older than the secret), so nobody can act as the citizen.
    citizen_secret_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    accept_started_at = models.DateTimeField(null=True, blank=True)
    accept_due = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    handle_due = models.DateTimeField(null=True, blank=True)
    expected_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Open311 expected_datetime, kept by sla on every deadline change "
                  "(the handle deadline; before acceptance, the accept deadline plus the handle allowance)")
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Waiting for the citizen since (clock paused)")
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    status_note = models.TextField(blank=True, help_text="Latest public note (Open311 status_notes)")
    response_text = models.TextField(blank=True, help_text="Handler's public response")
    result_text = models.TextField(blank=True, help_text="Result stated when resolving")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               help_text="Merged into this report")
    reopen_count = models.PositiveSmallIntegerField(default=0)
    synthetic = models.BooleanField(default=False, help_text="Generated demo data, not a real report")

    class Meta:
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


def new_photo_token() -> str:
    """An unguessable photo name (128 random bits): photo URLs cannot be enumerated."""
    return secrets.token_urlsafe(16)


class Photo(models.Model):
    """A stored photo: always re-encoded without metadata by :mod:`tinhso.reports.media`.

    Served only by ``token`` (never by the sequential id, which would let anyone walk through
    every photo) and only to whom :func:`tinhso.reports.privacy.photo_visible` allows.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    token = models.CharField(max_length=32, unique=True, default=new_photo_token, editable=False)
    kind = models.CharField(max_length=8, choices=PhotoKind.choices, default=PhotoKind.CITIZEN)
    file = models.FileField(upload_to="reports/%Y/%m/")
    mime = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)


class ReportEvent(AppendOnlyModel):
    """One line of a report's immutable history: who did what, when, from which state to which."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=120, help_text="citizen / system / api:<client> / username")
    actor_role = models.CharField(max_length=12)
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=False, help_text="Shown to the citizen and the public")
    data = models.JSONField(default=dict, blank=True, help_text="Details, e.g. corrected fields or the unit")

    class Meta:
        ordering = ("at", "id")
        indexes = (models.Index(fields=["report", "at"]),)

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}: {self.from_state} → {self.to_state}"
