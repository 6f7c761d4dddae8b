"""Admin: definitions, plans and thresholds are editable; observations and weights are append-only
(added, never changed or deleted — a correction is a new row). Targets are edited in place, but only
through :mod:`targets`, which records each change as a read-only :class:`TargetRevision`."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from tinhso.core.admin import ViewOnlyAdminMixin
from tinhso.core.errors import UserError
from tinhso.indicators import observations, targets
from tinhso.indicators.models import (
    Indicator,
    Observation,
    ObservationReview,
    Pillar,
    Plan,
    PlanIndicator,
    Source,
    Target,
    TargetRevision,
    ThresholdSet,
    WeightValue,
)


class TargetForm(forms.ModelForm):
    change_note = forms.CharField(required=False, max_length=300, label=gettext_lazy("Lý do thay đổi"))

    class Meta:
        model = Target
        fields = "__all__"


class TargetInline(admin.TabularInline):
    model = Target
    form = TargetForm
    extra = 0


class TargetRevisionInline(admin.TabularInline):
    """The recorded changes of this item's targets, read-only."""

    model = TargetRevision
    extra = 0
    can_delete = False
    fields = readonly_fields = ("changed_at", "changed_by_name", "kind", "milestone", "level", "previous", "new",
                                "note")
    verbose_name_plural = gettext_lazy("Lịch sử mục tiêu")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PlanIndicator)
class PlanIndicatorAdmin(admin.ModelAdmin):
    list_display = ("plan", "indicator", "pillar", "order")
    list_filter = ("plan", "pillar")
    inlines = (TargetInline, TargetRevisionInline)

    def save_formset(self, request, form, formset, change):
        """Targets are saved through :mod:`targets` so every change is recorded with the signed-in user."""
        if formset.model is not Target:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # sets new/changed/deleted_objects (the admin's change message reads them)
        notes = {id(f.instance): f.cleaned_data.get("change_note", "") for f in formset.forms
                 if getattr(f, "cleaned_data", None)}
        for obj in formset.deleted_objects:
            targets.delete(obj, by=request.user, note=notes.get(id(obj), ""))
        for obj in [*formset.new_objects, *(o for o, _ in formset.changed_objects)]:
            targets.change(obj, by=request.user, note=notes.get(id(obj), ""),
                           **{name: getattr(obj, name) for name in targets.TRACKED})


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "title_vi", "document_number", "document_date", "unit")
    raw_id_fields = ("unit",)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "unit_of_measure", "direction", "aggregation", "weight_name")
    search_fields = ("code", "name_vi", "name_en")


admin.site.register(Pillar)
admin.site.register(Source)
admin.site.register(ThresholdSet)


class AppendOnlyAdmin(admin.ModelAdmin):
    raw_id_fields = ("unit",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _observation_input(obj: Observation) -> observations.ObservationInput:
    return observations.ObservationInput(
        indicator=obj.indicator, unit=obj.unit, period=obj.period, source=obj.source, value=obj.value,
        level=obj.level, qualifier=obj.qualifier, reported_met_milestone=obj.reported_met_milestone,
        period_label=obj.period_label, quote=obj.quote, note=obj.note, revision_note=obj.revision_note)


class ObservationForm(forms.ModelForm):
    class Meta:
        model = Observation
        exclude = ("supersedes", "entered_by", "entered_by_name", "review_required")

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                observations.validate(_observation_input(Observation(**{
                    k: v for k, v in data.items() if k in {f.name for f in Observation._meta.fields}})))
            except UserError as err:
                raise forms.ValidationError(f"{err.message_vi} / {err.message_en}") from err
        return data


@admin.register(Observation)
class ObservationAdmin(AppendOnlyAdmin):
    """Adding goes through :func:`observations.record`, as the loaders and imports do: the revision
    chain (``supersedes``), NFC text and who entered it (the signed-in user) are set there, not typed."""

    form = ObservationForm
    list_display = ("indicator", "unit", "level", "period", "value", "qualifier", "source", "entered_by_name",
                    "entered_at")
    list_filter = ("indicator",)
    raw_id_fields = ("unit",)
    readonly_fields = ("supersedes", "entered_by_name", "entered_at", "review_required")

    def save_model(self, request, obj, form, change):
        # A person's entry: counted once a second person approves it (tinhso.indicators.approval).
        saved, _ = observations.record(_observation_input(obj), entered_by=request.user, review_required=True)
        obj.pk = saved.pk


@admin.register(ObservationReview)
class ObservationReviewAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """View only: written by :func:`tinhso.indicators.approval.decide`."""

    list_display = ("observation", "decision", "reviewed_by_name", "reviewed_at", "note")
    list_filter = ("decision",)


@admin.register(TargetRevision)
class TargetRevisionAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """View only: written by :mod:`targets`, never added, changed or deleted by hand."""

    list_display = ("item", "milestone", "level", "kind", "changed_by_name", "changed_at", "note")
    list_filter = ("kind", "item__plan")


@admin.register(WeightValue)
class WeightValueAdmin(AppendOnlyAdmin):
    list_display = ("name", "unit", "period", "value", "source", "entered_at")
