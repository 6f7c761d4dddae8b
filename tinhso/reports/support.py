""""Someone already reported this — add yours to it": a citizen's report joined to an open one.

The citizen form (and ``POST /api/v1/reports/submit``) lists nearby open reports of the same
category (:func:`tinhso.reports.duplicates.find_nearby`, public ones only). The citizen may say one
of them is the same problem (``same_as``, its tracking code). Their submission is then stored as
usual (:func:`tinhso.reports.intake.submit_report`: own text, photos, tracking code, private link
and acknowledgement) and, in the same transaction, joined to that report through the workflow's
``join`` action (citizen, ``submitted``/``assigned`` → ``merged``, ``parent`` set): a supporting
report, as FixMyStreet and SeeClickFix keep them, that the IOC sees under the original (the
original's page counts its supporting reports), whose tracking page follows the original's state
and result, and whose sender, if they gave an e-mail, is told of each of the original's public
changes (:mod:`tinhso.reports.notices`).

The target is checked before anything is stored (bad input loses nothing): it must exist, be
listed publicly (:data:`~tinhso.reports.models.PUBLIC_LISTING`, as the suggestions are), still be
open, be of the same category and lie within :data:`~tinhso.reports.duplicates.RADIUS_M` of the
new report's point. A report merged meanwhile is followed to the report it was merged into.
"""

from __future__ import annotations

from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.reports import duplicates, intake, workflow
from tinhso.reports.models import PUBLIC_LISTING, Report, State
from tinhso.reports.permissions import Actor, citizen

FIELD = "same_as"
MAX_CODE = 40


def _refused(code: str, why_vi: str, why_en: str) -> UserError:
    return UserError("same_as_unavailable",
                     f"Không thể gộp vào phản ánh {code}: {why_vi}. Bạn vẫn có thể gửi thành phản ánh mới "
                     "(chọn “Việc khác”).",
                     f"Your report cannot be added to {code}: {why_en}. You can still send it as a new report "
                     "(choose “Another problem”).", field=FIELD, details={"same_as": code})


def check_target(code, *, category: str, lat, lon) -> Report:
    """The open, public, same-category report within the suggestion radius the citizen chose."""
    code = str(code or "").strip().upper()
    if len(code) > MAX_CODE:
        raise UserError("same_as_unavailable", "Mã phản ánh quá dài.", "The report code is too long.", field=FIELD)
    cat = intake.get_category(category)
    where = intake.locate_in_province(lat, lon)
    target = Report.objects.filter(code=code).first()
    if target is not None:
        target = duplicates.root(target)  # merged meanwhile: the report it follows
    if target is None or not Report.objects.filter(PUBLIC_LISTING, pk=target.pk).exists():
        # Unknown and unpublished alike: the answer never tells that an unpublished code exists.
        raise _refused(code, "không có phản ánh công khai với mã này", "there is no public report with this code")
    if not target.is_open or target.state in (State.MERGED, State.REJECTED):
        raise _refused(target.code, "phản ánh đó đã kết thúc", "that report is no longer open")
    if target.category_id != cat.pk:
        raise _refused(target.code, "phản ánh đó thuộc lĩnh vực khác", "it is in another category")
    distance = duplicates.distance_m(where.lat, where.lon, target.lat, target.lon)
    if distance > duplicates.RADIUS_M:
        raise _refused(target.code, f"phản ánh đó cách vị trí bạn chọn {distance:.0f} m (tối đa "
                       f"{duplicates.RADIUS_M} m)", f"it is {distance:.0f} m from your point (at most "
                       f"{duplicates.RADIUS_M} m)")
    return target


def join(report: Report, target: Report, actor: Actor | None = None) -> None:
    """Join ``report`` (just submitted, its sender's actor) to ``target`` as a supporting report."""
    actor = actor or Actor(label="citizen", roles=citizen().roles, holds_report=report.code)
    workflow.transition(report, "join", actor, changes={"parent": target},
                        note=f"Người gửi cho biết đây là cùng một việc với phản ánh {target.code}. / The sender "
                             f"says this is the same problem as report {target.code}.",
                        data={"parent": target.code})


def submit_same_as(same_as: str, **submit_kwargs) -> intake.Submission:
    """Submit like :func:`intake.submit_report`, then join the new report to ``same_as`` (all or nothing).

    A retried submission (same idempotency key) returns the first report as it is, joined or not.
    """
    target = check_target(same_as, category=submit_kwargs.get("category"), lat=submit_kwargs.get("lat"),
                          lon=submit_kwargs.get("lon"))
    with transaction.atomic():
        submission = intake.submit_report(**submit_kwargs)
        if submission.created:
            holder = submit_kwargs.get("actor")
            actor = Actor(label=holder.label if holder else "citizen", roles=citizen().roles,
                          holds_report=submission.report.code)
            join(submission.report, target, actor)
            submission.duplicates = [r for r in submission.duplicates if r.pk != target.pk]
    return submission


def supporting(report: Report) -> list[dict]:
    """The reports joined to (by their sender) or merged into (by the IOC) ``report``, oldest first:
    ``{"code", "by_citizen"}`` only, never who sent them."""
    rows = (Report.objects.filter(parent_id=report.pk, state=State.MERGED).order_by("created_at", "pk")
            .values_list("code", "events__action"))
    out: dict[str, dict] = {}
    for code, action in rows:
        entry = out.setdefault(code, {"code": code, "by_citizen": False})
        entry["by_citizen"] = entry["by_citizen"] or action == "join"
    return list(out.values())
