"""Target changes are recorded: admin edits and loaders go through ``targets``; revisions are append-only."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from tinhso.core.errors import UserError
from tinhso.core.history import AppendOnlyError
from tinhso.indicators import setup, targets
from tinhso.indicators.models import PlanIndicator, Target, TargetRevision

pytestmark = pytest.mark.django_db
PLAN = "bt-nq10-2022"


def _quiet(*args, **kwargs):
    pass


@pytest.fixture
def staff(django_user_model):
    setup.load_demo(out=_quiet)
    user = django_user_model.objects.create_superuser("planner", password="x")
    client = Client()
    client.force_login(user)
    return client, user


class _FormFields(HTMLParser):
    """The values a browser would submit for the admin change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def _item() -> PlanIndicator:
    return PlanIndicator.objects.get(plan__code=PLAN, indicator__code="fibre-coverage")


def _change_form(client, item) -> tuple[str, dict]:
    url = f"/admin/indicators/planindicator/{item.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.content.decode())
    return url, parser.data


def _target_row(data: dict, target: Target) -> str:
    return next(k.removesuffix("-id") for k, v in data.items()
                if k.startswith("targets-") and k.endswith("-id") and v == str(target.pk))


def test_an_admin_edit_records_a_revision_by_the_signed_in_user(staff):
    client, user = staff
    item = _item()
    target = item.targets.order_by("milestone", "level").first()
    old = target.value
    url, data = _change_form(client, item)
    row = _target_row(data, target)
    data[f"{row}-value"] = str(old - 1)
    data[f"{row}-change_note"] = "Điều chỉnh theo nghị quyết sửa đổi"
    before = TargetRevision.objects.count()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert TargetRevision.objects.count() == before + 1
    revision = TargetRevision.objects.latest("id")
    assert revision.kind == "changed" and revision.changed_by == user and revision.changed_by_name == "planner"
    assert revision.previous["value"] == old and revision.new["value"] == old - 1
    assert revision.note == "Điều chỉnh theo nghị quyết sửa đổi"
    assert targets.differences(revision) == [("value", old, old - 1)]
    target.refresh_from_db()
    assert target.value == old - 1
    page = Client().get(f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage").content.decode()
    assert "Điều chỉnh theo nghị quyết sửa đổi" in page and "planner" in page


def test_saving_the_admin_form_unchanged_records_nothing(staff):
    client, _ = staff
    url, data = _change_form(client, _item())
    before = TargetRevision.objects.count()
    assert client.post(url, data).status_code == 302
    assert TargetRevision.objects.count() == before


def test_an_admin_deletion_keeps_the_last_values_in_the_history(staff):
    client, user = staff
    item = _item()
    target = item.targets.order_by("milestone", "level").first()
    snapshot = targets.snapshot(target)
    url, data = _change_form(client, item)
    data[f"{_target_row(data, target)}-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not Target.objects.filter(pk=target.pk).exists()
    revision = TargetRevision.objects.latest("id")
    assert (revision.kind, revision.previous, revision.new, revision.changed_by) == ("deleted", snapshot, {}, user)


def test_revisions_cannot_be_changed_or_deleted(staff):
    client, _ = staff
    revision = TargetRevision.objects.first()
    revision.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        revision.save()
    with pytest.raises(AppendOnlyError):
        revision.delete()
    base = "/admin/indicators/targetrevision"
    assert client.get(f"{base}/{revision.pk}/change/").status_code == 200  # view only
    assert client.post(f"{base}/{revision.pk}/change/", {"note": "x"}).status_code == 403
    assert client.post(f"{base}/{revision.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}/add/").status_code == 403
    revision.refresh_from_db()
    assert revision.note != "rewritten"


def test_loading_the_demo_twice_records_no_revision(staff):
    created = TargetRevision.objects.count()
    assert created == Target.objects.count() > 0
    assert set(TargetRevision.objects.values_list("kind", flat=True)) == {"created"}
    setup.load_demo(out=_quiet)
    assert TargetRevision.objects.count() == created


def test_a_loader_change_is_recorded_under_its_name(staff):
    target = _item().targets.order_by("milestone", "level").first()
    _, outcome = targets.record(target.item, target.milestone, target.level, by_name="loader", value=42.0)
    assert outcome == "changed"
    revision = TargetRevision.objects.latest("id")
    assert (revision.changed_by, revision.changed_by_name, revision.new["value"]) == (None, "loader", 42.0)
    with pytest.raises(UserError, match="required"):
        targets.record(target.item, target.milestone, target.level, value=43.0)
