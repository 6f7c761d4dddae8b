"""Plan indicators: plans, pillars, indicator definitions, targets, observations and sources.

The shape follows Open SDG's split between an indicator *definition* (a catalogue entry that any
province can report against) and a *plan* that picks indicators, groups them into pillars and sets
targets per milestone and administrative level:

- :class:`Indicator` is a catalogue entry (code, names, unit of measure, direction, natural limit,
  aggregation rule for merged units). Observations belong to an indicator and a unit, so the same
  definition can hold Bình Thuận's, Điện Biên's and Phú Thọ's figures side by side.
- :class:`Plan` is a document (issuer, number, date) that applies to one unit — legacy or current.
- :class:`PlanIndicator` puts an indicator in a plan under a pillar; :class:`Target` gives its value
  for a milestone year and, where the plan says so, per administrative level.
- :class:`Observation` is append-only: a correction is a new row that supersedes the old one; the
  latest row for (indicator, unit, level, period) counts and the whole history stays visible.
- :class:`ThresholdSet` holds the assessment thresholds as data (admin-editable).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.errors import UserError
from tinhso.core.history import AppendOnlyModel
from tinhso.geo.models import REORGANISATION_DATE, Unit


class Direction(models.TextChoices):
    HIGHER = "higher", _("Càng cao càng tốt")
    LOWER = "lower", _("Càng thấp càng tốt")
    BAND = "band", _("Trong khoảng")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Cộng")
    WEIGHTED_MEAN = "weighted_mean", _("Bình quân gia quyền")
    NOT_AGGREGABLE = "not_aggregable", _("Không cộng gộp được")


class AdminLevel(models.TextChoices):
    """The tier of government a figure or target refers to ("all" = the unit as a whole)."""

    ALL = "all", _("Toàn đơn vị")
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


# The district tier was abolished by the 2025 reorganisation: a district-level target whose
# milestone falls after this date can no longer be measured. Shown, never hidden.
ABOLISHED_LEVELS = {AdminLevel.DISTRICT.value: REORGANISATION_DATE}


class Comparator(models.TextChoices):
    """How a target or an observed figure is worded: "đạt 80%", "tối thiểu 10%", "trên 80%"."""

    EXACT = "", "="
    AT_LEAST = ">=", _("≥ (tối thiểu")
    ABOVE = ">", _("> (trên")
    AT_MOST = "<=", _("≤ (tối đa")
    BELOW = "<", _("< (dưới")
    ABOUT = "~", _("≈ (khoảng")


class Source(models.Model):
    """Where a figure or a target comes from: a document, an article, a statistics release."""

    key = models.SlugField(verbose_name=_("khóa"), max_length=64, unique=True)
    title = models.CharField(verbose_name=_("tiêu đề"), max_length=300)
    publisher = models.CharField(verbose_name=_("cơ quan công bố"), max_length=200, blank=True)
    url = models.URLField(verbose_name=_("địa chỉ URL"), max_length=500, blank=True)
    published = models.DateField(verbose_name=_("ngày công bố"), null=True, blank=True, help_text="Publication date, if the source states it")
    reference = models.CharField(verbose_name=_("số hiệu"), max_length=300, blank=True,
                                 help_text="Archive reference, e.g. the seed article file it was transcribed from")
    note = models.TextField(verbose_name=_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("nguồn số liệu")
        verbose_name_plural = pgettext_lazy("plural", "nguồn số liệu")
        ordering = ("key",)

    def __str__(self) -> str:
        return self.title

    def citation(self) -> str:
        parts = [self.title]
        if self.publisher:
            parts.append(self.publisher)
        if self.published:
            parts.append(self.published.strftime("%d/%m/%Y"))
        if self.url:
            parts.append(self.url)
        return " — ".join(parts)


class Pillar(models.Model):
    code = models.SlugField(verbose_name=_("mã"), max_length=32, unique=True)
    name_vi = models.CharField(verbose_name=_("tên tiếng Việt"), max_length=120)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=120)
    order = models.PositiveSmallIntegerField(verbose_name=_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("trụ cột")
        verbose_name_plural = pgettext_lazy("plural", "trụ cột")
        ordering = ("order", "code",)

    def __str__(self) -> str:
        return self.name_vi


class ThresholdSet(models.Model):
    """Assessment thresholds and method options, editable as data (defaults in data/methods.toml)."""

    code = models.SlugField(verbose_name=_("mã"), max_length=32, unique=True)
    name = models.CharField(verbose_name=_("tên"), max_length=200)
    is_default = models.BooleanField(verbose_name=_("mặc định"), default=False)
    params = models.JSONField(verbose_name=_("tham số"), default=dict, help_text="See tinhso/indicators/data/methods.toml for the keys")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The admin shows a bad set here instead of every status page failing on it later.
        from tinhso.indicators.progress import Params

        try:
            Params.from_dict(self.params)
        except UserError as exc:
            raise ValidationError({"params": f"{exc.message_vi} / {exc.message_en}"}) from exc

    class Meta:
        verbose_name = _("bộ ngưỡng")
        verbose_name_plural = pgettext_lazy("plural", "bộ ngưỡng")


class Indicator(models.Model):
    code = models.SlugField(verbose_name=_("mã"), max_length=64, unique=True)
    name_vi = models.CharField(verbose_name=_("tên tiếng Việt"), max_length=300)
    name_en = models.CharField(verbose_name=_("tên tiếng Anh"), max_length=300)
    unit_of_measure = models.CharField(verbose_name=_("đơn vị tính"), max_length=32, help_text="e.g. %, điểm, hạng")
    direction = models.CharField(verbose_name=_("chiều tốt"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    natural_limit = models.FloatField(verbose_name=_("giới hạn tự nhiên"), null=True, blank=True, help_text="e.g. 100 for a percentage")
    aggregation = models.CharField(verbose_name=_("cách tổng hợp"), max_length=16, choices=Aggregation.choices, default=Aggregation.NOT_AGGREGABLE)
    weight_name = models.CharField(verbose_name=_("tên trọng số"), max_length=64, blank=True,
                                   help_text="For a weighted mean: the weight series, e.g. 'population-18plus'")
    aggregation_note = models.TextField(verbose_name=_("ghi chú tổng hợp"), blank=True, help_text="Why this rule (shown in the merged view)")
    definition_note = models.TextField(verbose_name=_("ghi chú định nghĩa"), blank=True)

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = pgettext_lazy("plural", "chỉ tiêu")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name_vi}"


class Plan(models.Model):
    code = models.SlugField(verbose_name=_("mã"), max_length=64, unique=True)
    title_vi = models.CharField(verbose_name=_("tiêu đề tiếng Việt"), max_length=300)
    title_en = models.CharField(verbose_name=_("tiêu đề tiếng Anh"), max_length=300)
    issuer = models.CharField(verbose_name=_("cơ quan ban hành"), max_length=200)
    document_type = models.CharField(verbose_name=_("loại văn bản"), max_length=64, blank=True)
    document_number = models.CharField(verbose_name=_("số văn bản"), max_length=64)
    document_date = models.DateField(verbose_name=_("ngày văn bản"))
    unit = models.ForeignKey(Unit, verbose_name=_("địa phương"), on_delete=models.PROTECT, related_name="plans")
    period_start = models.PositiveSmallIntegerField(verbose_name=_("năm bắt đầu"))
    period_end = models.PositiveSmallIntegerField(verbose_name=_("năm kết thúc"))
    base_year = models.PositiveSmallIntegerField(verbose_name=_("năm gốc"), help_text="t₀ for distance travelled and growth rates")
    milestones = models.JSONField(verbose_name=_("các mốc"), default=list, help_text="Milestone years, e.g. [2025, 2030]")
    thresholds = models.ForeignKey(ThresholdSet, verbose_name=_("bộ ngưỡng"), null=True, blank=True, on_delete=models.PROTECT,
                                   help_text="Empty: the default threshold set")
    source = models.ForeignKey(Source, verbose_name=_("nguồn"), null=True, blank=True, on_delete=models.PROTECT)
    note = models.TextField(verbose_name=_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("kế hoạch")
        verbose_name_plural = pgettext_lazy("plural", "kế hoạch")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code}: {self.title_vi}"


class PlanIndicator(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("kế hoạch"), on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, verbose_name=_("chỉ tiêu"), on_delete=models.PROTECT, related_name="plan_items")
    pillar = models.ForeignKey(Pillar, verbose_name=_("trụ cột"), on_delete=models.PROTECT, related_name="plan_items")
    order = models.PositiveSmallIntegerField(verbose_name=_("thứ tự"), default=0)
    wording_vi = models.TextField(verbose_name=_("cách ghi trong văn bản"), blank=True, help_text="The plan's own wording of the target")

    class Meta:
        verbose_name = _("chỉ tiêu của kế hoạch")
        verbose_name_plural = pgettext_lazy("plural", "chỉ tiêu của kế hoạch")
        ordering = ("plan", "pillar__order", "order",)
        constraints = (models.UniqueConstraint(fields=["plan", "indicator"], name="ind_planindicator_unique"),)

    def __str__(self) -> str:
        return f"{self.plan.code}/{self.indicator.code}"


class Target(models.Model):
    item = models.ForeignKey(PlanIndicator, verbose_name=_("chỉ tiêu của kế hoạch"), on_delete=models.CASCADE, related_name="targets")
    milestone = models.PositiveSmallIntegerField(verbose_name=_("mốc"))
    level = models.CharField(verbose_name=_("cấp"), max_length=8, choices=AdminLevel.choices, default=AdminLevel.ALL)
    value = models.FloatField(verbose_name=_("giá trị"))
    value_high = models.FloatField(verbose_name=_("giá trị cận trên"), null=True, blank=True, help_text="Upper end for a band target")
    comparator = models.CharField(verbose_name=_("phép so sánh"), max_length=2, choices=Comparator.choices, blank=True, default=Comparator.AT_LEAST)
    source = models.ForeignKey(Source, verbose_name=_("nguồn"), null=True, blank=True, on_delete=models.PROTECT)
    quote = models.TextField(verbose_name=_("trích dẫn"), blank=True, help_text="The sentence of the source that sets the target")

    class Meta:
        verbose_name = _("mục tiêu")
        verbose_name_plural = pgettext_lazy("plural", "mục tiêu")
        ordering = ("item", "milestone", "level",)
        constraints = (models.UniqueConstraint(fields=["item", "milestone", "level"], name="ind_target_unique"),)

    def __str__(self) -> str:
        return f"{self.item} {self.milestone} {self.level}: {self.comparator}{self.value}"

    @property
    def milestone_end(self) -> dt.date:
        return dt.date(self.milestone, 12, 31)

    @property
    def level_abolished_on(self) -> dt.date | None:
        """The day the level ceased to exist, if that is before the milestone."""
        abolished = ABOLISHED_LEVELS.get(self.level)
        return abolished if abolished and abolished <= self.milestone_end else None


PENDING = "pending"


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("Đã duyệt")
    REJECTED = "rejected", _("Bị trả lại")


class ObservationQuerySet(models.QuerySet):
    def counted(self):
        """The rows that count (progress, charts, forecasts, the IOC wall, open data): those that need
        no review, and those a second person approved. The one place this rule lives."""
        approved = ObservationReview.objects.filter(observation=models.OuterRef("pk"),
                                                    decision=ReviewDecision.APPROVED)
        return self.filter(models.Q(review_required=False) | models.Exists(approved))

    def pending(self):
        """Entered, waiting for a second person's decision."""
        return self.filter(review_required=True).exclude(
            models.Exists(ObservationReview.objects.filter(observation=models.OuterRef("pk"))))

    def not_rejected(self):
        rejected = ObservationReview.objects.filter(observation=models.OuterRef("pk"),
                                                    decision=ReviewDecision.REJECTED)
        return self.exclude(models.Exists(rejected))


class Observation(AppendOnlyModel):
    """One reported figure. Append-only: a revision is a new row with ``supersedes`` set.

    ``value`` may be empty only when the source states that the target of ``reported_met_milestone``
    was met without giving a figure ("5 chỉ tiêu hoàn thành, đạt và vượt"): that statement is
    recorded as such, never turned into an invented number.
    """

    indicator = models.ForeignKey(Indicator, verbose_name=_("chỉ tiêu"), on_delete=models.PROTECT, related_name="observations")
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="indicator_observations")
    level = models.CharField(verbose_name=_("cấp"), max_length=8, choices=AdminLevel.choices, default=AdminLevel.ALL)
    period = models.PositiveSmallIntegerField(verbose_name=_("kỳ"), help_text="Year the figure describes")
    period_label = models.CharField(verbose_name=_("nhãn kỳ"), max_length=64, blank=True, help_text="Source wording, e.g. 'đầu năm 2024'")
    value = models.FloatField(verbose_name=_("giá trị"), null=True, blank=True)
    qualifier = models.CharField(verbose_name=_("ghi chú giá trị"), max_length=2, choices=Comparator.choices, blank=True, default=Comparator.EXACT,
                                 help_text="'>' when the source says 'trên 75%', '~' for 'khoảng'")
    reported_met_milestone = models.PositiveSmallIntegerField(verbose_name=_("báo cáo đạt mốc"), 
        null=True, blank=True, help_text="The source states this milestone's target was met (no figure)")
    source = models.ForeignKey(Source, verbose_name=_("nguồn"), on_delete=models.PROTECT, related_name="observations")
    quote = models.TextField(verbose_name=_("trích dẫn"), blank=True, help_text="The sentence of the source that gives the figure")
    note = models.TextField(verbose_name=_("ghi chú"), blank=True)
    supersedes = models.ForeignKey("self", verbose_name=_("thay thế bản ghi"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="superseded_by")
    revision_note = models.CharField(verbose_name=_("lý do sửa"), max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người nhập"), null=True, blank=True, on_delete=models.PROTECT)
    entered_by_name = models.CharField(verbose_name=_("tên người nhập"), max_length=150, help_text="Who entered it (user or loader name)")
    entered_at = models.DateTimeField(verbose_name=_("nhập lúc"), auto_now_add=True)
    review_required = models.BooleanField(
        verbose_name=_("cần duyệt"),
        default=False, help_text="Entered by a person: counts only once a second person approved it "
                                 "(figures transcribed from sources by the loaders and older rows need no review)")

    objects = ObservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("số liệu thực hiện")
        verbose_name_plural = pgettext_lazy("plural", "số liệu thực hiện")
        ordering = ("indicator", "unit", "level", "period", "id",)
        indexes = (models.Index(fields=["indicator", "unit", "level", "period"]),)
        # Planners (tinhso.core.roles); which units' figures comes from their membership scope.
        permissions = (
            ("import_observations", "Enter and import figures for one's scope / Nhập số liệu trong phạm vi"),
            ("approve_observations", "Approve figures entered by another person / Duyệt số liệu người khác nhập"),
        )

    @property
    def review(self) -> ObservationReview | None:
        """The decision on this row, if any (one at most)."""
        return self.reviews.first()

    @property
    def review_state(self) -> str:
        if not self.review_required:
            return ReviewDecision.APPROVED
        review = self.review
        return review.decision if review else PENDING

    def __str__(self) -> str:
        shown = self.value if self.value is not None else f"met {self.reported_met_milestone}"
        return f"{self.indicator.code} {self.unit.code} {self.period}: {shown}"


class ObservationReview(AppendOnlyModel):
    """The second person's decision on an entered figure (written once by
    :func:`tinhso.indicators.approval.decide`). Append-only; at most one per observation."""

    observation = models.ForeignKey(Observation, verbose_name=_("số liệu"), on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(verbose_name=_("quyết định"), max_length=8, choices=ReviewDecision.choices)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người duyệt"), null=True, blank=True, on_delete=models.PROTECT)
    reviewed_by_name = models.CharField(verbose_name=_("tên người duyệt"), max_length=150)
    reviewed_at = models.DateTimeField(verbose_name=_("duyệt lúc"), auto_now_add=True)
    note = models.CharField(verbose_name=_("ghi chú"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quyết định duyệt số liệu")
        verbose_name_plural = pgettext_lazy("plural", "quyết định duyệt số liệu")
        ordering = ("reviewed_at", "id",)
        constraints = (models.UniqueConstraint(fields=["observation"], name="ind_review_once"),)

    def __str__(self) -> str:
        return f"{self.observation}: {self.decision} by {self.reviewed_by_name}"


class WeightValue(AppendOnlyModel):
    """A value of a named weight series (population, households, GRDP…) for the merged view."""

    name = models.SlugField(verbose_name=_("tên"), max_length=64)
    unit = models.ForeignKey(Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="indicator_weights")
    period = models.PositiveSmallIntegerField(verbose_name=_("kỳ"))
    value = models.FloatField(verbose_name=_("giá trị"))
    source = models.ForeignKey(Source, verbose_name=_("nguồn"), on_delete=models.PROTECT)
    entered_by_name = models.CharField(verbose_name=_("tên người nhập"), max_length=150)
    entered_at = models.DateTimeField(verbose_name=_("nhập lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("giá trị trọng số")
        verbose_name_plural = pgettext_lazy("plural", "giá trị trọng số")
        ordering = ("name", "unit", "period", "id",)

    def clean(self) -> None:
        if self.value is not None and self.value <= 0:
            raise ValidationError({"value": "Trọng số phải dương / A weight must be positive"})


class TargetChange(models.TextChoices):
    CREATED = "created", _("Tạo mới")
    CHANGED = "changed", _("Sửa")
    DELETED = "deleted", _("Xóa")


class TargetRevision(AppendOnlyModel):
    """One change to a plan's target, written by :func:`tinhso.indicators.targets.change`. Append-only.

    Keyed by the plan item and the target's (milestone, level) after the change (before it, for a
    deletion) rather than by a foreign key to :class:`Target`: a deleted target keeps its history.
    ``previous``/``new`` hold the tracked fields (empty for a creation/deletion respectively).
    """

    item = models.ForeignKey(PlanIndicator, verbose_name=_("chỉ tiêu của kế hoạch"), on_delete=models.PROTECT, related_name="target_revisions")
    milestone = models.PositiveSmallIntegerField(verbose_name=_("mốc"))
    level = models.CharField(verbose_name=_("cấp"), max_length=8, choices=AdminLevel.choices)
    kind = models.CharField(verbose_name=_("loại"), max_length=8, choices=TargetChange.choices)
    previous = models.JSONField(verbose_name=_("giá trị cũ"), default=dict, blank=True)
    new = models.JSONField(verbose_name=_("giá trị mới"), default=dict, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người sửa"), null=True, blank=True, on_delete=models.PROTECT)
    changed_by_name = models.CharField(verbose_name=_("tên người sửa"), max_length=150, help_text="Who changed it (user or loader name)")
    changed_at = models.DateTimeField(verbose_name=_("sửa lúc"), auto_now_add=True)
    note = models.CharField(verbose_name=_("ghi chú"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("lần sửa mục tiêu")
        verbose_name_plural = pgettext_lazy("plural", "lần sửa mục tiêu")
        ordering = ("item", "changed_at", "id",)

    def __str__(self) -> str:
        return f"{self.item} {self.milestone} {self.level}: {self.kind} by {self.changed_by_name}"
