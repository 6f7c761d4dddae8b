"""The synthetic generator: seeded, labelled, histories consistent with the state machine."""

from tinhso.reports import synthetic, workflow
from tinhso.reports.models import Photo, Report, State


def test_generated_histories_are_consistent(world):
    made = synthetic.generate(60, seed=7)
    assert made == 60
    reports = list(Report.objects.prefetch_related("events"))
    assert len(reports) == 60 and all(r.synthetic and r.description.startswith(synthetic.MARK) for r in reports)
    for r in reports:
        events = list(r.events.all())
        assert events[0].action == "submit"
        for before, after in zip(events, events[1:]):
            assert after.from_state == before.to_state
            assert after.at >= before.at
            assert r.created_at <= after.at
            t = workflow.BY_ACTION[after.action]
            assert after.from_state in t.sources
        assert events[-1].to_state == r.state
        assert r.commune.province_code == "68"
        if r.state in (State.RESOLVED, State.CLOSED):
            assert r.result_text and Photo.objects.filter(report=r, kind="result").exists()
    assert len({r.state for r in reports}) >= 3


def test_generator_is_seeded(world):
    synthetic.generate(10, seed=11)
    first = sorted(Report.objects.values_list("lat", "lon", "category__code"))
    again = sorted((r.lat, r.lon, r.category.code) for r in _plans(seed=11, count=10))
    other = sorted((r.lat, r.lon, r.category.code) for r in _plans(seed=12, count=10))
    assert first == again and first != other


def _plans(seed, count):
    """Re-run the generator's point and plan stage without saving."""
    import random

    from django.conf import settings
    from django.utils import timezone

    from tinhso.geo.models import Unit
    from tinhso.reports import sla
    from tinhso.reports.models import Category, RoutingRule

    rng = random.Random(seed)
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE,
                                        lat__isnull=False).order_by("code"))
    categories = {c.code: c for c in Category.objects.filter(active=True)}
    codes = [c for c in synthetic.CATEGORY_WEIGHTS if c in categories]
    policy = sla.Policy.load()
    rules = list(RoutingRule.objects.filter(active=True).order_by("order", "id"))
    out = []
    for commune, lat, lon in synthetic._points(rng, communes, count):
        code = rng.choices(codes, [synthetic.CATEGORY_WEIGHTS.get(c, 1) for c in codes])[0]
        out.append(synthetic.plan_report(rng, policy, categories[code], commune, lat, lon, {}, rules,
                                         timezone.now()).report)
    return out


def test_the_generators_marks_read_in_the_pages_language(world, client):
    """Generated people are marked "(mô phỏng)" in their stored labels; an English page shows the
    mark as "(synthetic)" (history rows, the IOC's contact card), a Vietnamese page as stored."""
    synthetic.generate(40, seed=7)
    report = (Report.objects.filter(events__actor_label=synthetic.OPERATOR_ACTOR.label,
                                    reporter_name=synthetic.SYNTHETIC_REPORTER).first())
    assert report is not None
    assert synthetic.display_label("ioc-operator (mô phỏng)", True) == "ioc-operator (synthetic)"
    assert synthetic.display_label(synthetic.SYNTHETIC_REPORTER, True) == "Citizen (synthetic)"
    assert synthetic.display_label("Nguyễn Văn A", True) == "Nguyễn Văn A"
    client.force_login(world.users["op"])
    vietnamese = client.get(f"/ioc/phan-anh/{report.code}").content.decode()
    assert "ioc-operator (mô phỏng)" in vietnamese and "Người dân (mô phỏng)" in vietnamese
    client.cookies["django_language"] = "en"
    english = client.get(f"/ioc/phan-anh/{report.code}").content.decode()
    assert "ioc-operator (synthetic)" in english and "Citizen (synthetic)" in english
    assert "mô phỏng" not in english
