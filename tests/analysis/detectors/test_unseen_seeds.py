"""The issue's acceptance check, on seeds no test fixes: synthetic reports and dossiers generated with
seeds drawn at random when the test runs, with their effects placed at random by the generators
(``--effects``), are analysed; every injected effect must be found, of the right kind and attributed to
the right unit; the same data without the injections must raise no more alerts than the stated
false-alarm rate allows.

The seeds are printed in every failure message; ``TINHSO_EFFECT_SEEDS=11,22,33`` replays them,
``TINHSO_EFFECT_SEEDS=random`` (or ``random:N``) draws new ones, ``TINHSO_EFFECT_SIZES`` sets the sizes
(e.g. the CLI's ``2000,20000,12,3,2``) and ``scripts/effect-seeds`` tabulates misses and false alarms
over many seeds (docs/analysis.md, "Injected effects"). ``make test`` uses fixed seeds
(``DEFAULT_SEEDS``: drawn at random once, plus the seeds that once exposed a gap) so that main stays
deterministic.
"""

from __future__ import annotations

import json
import os
import random
import shutil

from django.db import transaction
from scipy import stats

from tests.analysis.detectors.conftest import MONTH, generate_dossiers, generate_reports
from tests.analysis.detectors.test_injected import _found
from tinhso.analysis.detectors import parameters, run_all
from tinhso.analysis.findings import Context

KINDS = ["rising_category", "hotspots", "units_behind"]
SEEDS = 3
# Drawn by SystemRandom, and the seeds that once missed an effect: 6905411 (the store kept earlier seeds'
# dossiers on PostgreSQL), 5114802 (the on-time collapse leaked into the month before).
DEFAULT_SEEDS = [4069527, 8514046, 6905411, 5114802]
REPORTS = 800
DOSSIERS = 8000
DOSSIER_MONTHS = 4  # the month before the analysed one is not the data's first (no carried-over dossiers)
REPORT_EFFECTS = 3
DOSSIER_EFFECTS = 1


def _seeds() -> list[int]:
    """``TINHSO_EFFECT_SEEDS``: ``a,b,c``, ``random`` (three new seeds) or ``random:N``."""
    given = os.environ.get("TINHSO_EFFECT_SEEDS", "").strip()
    if given.startswith("random"):
        n = int(given.partition(":")[2] or SEEDS)
        return random.SystemRandom().sample(range(10_000, 10_000_000), n)
    if given:
        return [int(s) for s in given.split(",") if s.strip()]
    return list(DEFAULT_SEEDS)


def _sizes() -> dict[str, int]:
    """``TINHSO_EFFECT_SIZES=reports,dossiers,months,report_effects,dossier_effects`` (e.g. the CLI's
    defaults ``2000,20000,12,3,1``); the test's own sizes otherwise."""
    names = ("reports", "dossiers", "months", "report_effects", "dossier_effects")
    given = [int(x) for x in os.environ.get("TINHSO_EFFECT_SIZES", "").split(",") if x.strip()]
    return dict(zip(names, given or (REPORTS, DOSSIERS, DOSSIER_MONTHS, REPORT_EFFECTS, DOSSIER_EFFECTS)))


def _data(tmp_path, seed: int, effects: bool, sizes: dict) -> tuple[list, list]:
    """Reports and dossiers of one seed, with or without their effects, in a fresh dossier store."""
    from tinhso.dossiers import store
    from tinhso.dossiers.models import DossierImport

    # The store's files are not rolled back with the database: empty the directory itself (a previous
    # seed's import, rolled back, left its files; on PostgreSQL its number is not reused).
    for path in store.root().glob("*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    DossierImport.objects.all().delete()
    report_effects = generate_reports(sizes["reports"], seed=seed,
                                      effects=sizes["report_effects"] if effects else 0)
    dossier_effects = generate_dossiers(tmp_path, sizes["dossiers"], seed=seed,
                                        effects=sizes["dossier_effects"] if effects else 0, months=sizes["months"])
    return report_effects, dossier_effects


def test_each_seed_is_analysed_on_its_own_dossiers_only(dossier_store, tmp_path):
    """The dossier store is files beside the database: rolling a seed's data back leaves its files (on
    PostgreSQL the next import gets a new number, so they were never overwritten), and the next seed's
    analysis read both seeds' dossiers (seed 6905411 after two others: the digitisation drop diluted
    below detection). Each seed's data must stand alone."""
    import pyarrow.parquet as pq

    from tinhso.dossiers import store

    with transaction.atomic():
        _data(tmp_path, 11, False, dict(_sizes(), reports=20, dossiers=300, months=4))
        transaction.set_rollback(True)
    _data(tmp_path, 22, False, dict(_sizes(), reports=20, dossiers=300, months=2))
    codes = {c for path in store.files() for c in pq.read_table(path, columns=["ma_ho_so"]).column(0).to_pylist()}
    assert len(codes) == 300 and all(c.startswith("DEMO-22-") for c in codes), sorted(codes)[:3]


def _dossier_found(effect: dict, findings) -> bool:
    return any(f.kind == "units_behind" and f.area == "dossiers" and f.unit_code == effect["unit_code"]
               and f.subject.get("group") == "digitisation" for f in findings)


def _statistical(findings) -> list:
    """The alerts that carry a false-alarm rate (repeats are a rule, not a test)."""
    return [f for f in findings if f.subject.get("type") != "repeat"]


def allowed_alerting_runs(runs: int, alpha: float, risk: float = 0.001) -> int:
    """The most alerting runs out of ``runs`` that are still plausible when each run alerts with
    probability ``alpha`` (the stated rate): more has a probability below ``risk`` (binomial upper tail)."""
    k = 0
    while stats.binom.sf(k, runs, alpha) > risk:
        k += 1
    return k


def test_allowed_alerting_runs_is_the_binomial_bound():
    assert allowed_alerting_runs(9, 0.05) == 3  # P(X ≥ 4) = 0.0006 < 0.001 ≤ P(X ≥ 3) = 0.0084
    assert allowed_alerting_runs(1, 0.0) == 0


def _log(record: dict) -> None:
    """One JSON line per seed in ``TINHSO_EFFECT_LOG`` (for ``scripts/effect-seeds``' tables)."""
    path = os.environ.get("TINHSO_EFFECT_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_unseen_seeds_effects_found_and_null_within_the_false_alarm_rate(dossier_store, tmp_path):
    from tinhso.reports.effects import KINDS as REPORT_EFFECT_KINDS

    seeds, sizes = _seeds(), _sizes()
    print(f"seeds: {seeds} (replay with TINHSO_EFFECT_SEEDS={','.join(map(str, seeds))})")
    expected_kinds = sorted(REPORT_EFFECT_KINDS[i % len(REPORT_EFFECT_KINDS)] for i in range(sizes["report_effects"]))
    missed, alerts, alerting_runs = [], [], 0
    for seed in seeds:
        with transaction.atomic():
            report_effects, dossier_effects = _data(tmp_path, seed, True, sizes)
            assert sorted(e.kind for e in report_effects) == expected_kinds, f"seeds {seeds}"
            assert [e["kind"] for e in dossier_effects] == ["digitisation_drop"] * sizes["dossier_effects"]
            findings = run_all(Context(month=MONTH), kinds=KINDS)
            outcome = [{"kind": e.kind, "unit": e.unit_code, "category": e.category, "reports": e.reports,
                        "found": _found(e, findings)} for e in report_effects]
            outcome += [{"kind": e["kind"], "unit": e["unit_code"], "found": _dossier_found(e, findings)}
                        for e in dossier_effects]
            seed_missed = [f"seed {seed}: {o['kind']} unit={o['unit']} {o.get('category', '')}".rstrip()
                           for o in outcome if not o["found"]]
            found = [(f.kind, f.unit_code, f.subject.get("group") or f.subject.get("measure")
                      or f.subject.get("category")) for f in findings]
            missed += seed_missed
            transaction.set_rollback(True)
        with transaction.atomic():  # the same seed's data without the injections
            _data(tmp_path, seed, False, sizes)
            null = _statistical(run_all(Context(month=MONTH), kinds=KINDS))
            transaction.set_rollback(True)
        null_alerts = [(seed, f.kind, f.unit_code, f.subject.get("group") or f.subject.get("measure")
                        or f.subject.get("category")) for f in null]
        _log({"seed": seed, "sizes": sizes, "effects": outcome, "findings": found if seed_missed else None,
              "null_alerts": null_alerts, "null_alerting_detectors": sorted({f.kind for f in null})})
        alerts += null_alerts
        alerting_runs += len({f.kind for f in null})
        if seed_missed and not os.environ.get("TINHSO_EFFECT_LOG"):
            raise AssertionError(f"seeds {seeds}: not found {seed_missed}; findings {found}")
    assert not missed, f"seeds {seeds}: not found {missed}"
    alpha = max(parameters(k)["alpha"] for k in KINDS)
    allowed = allowed_alerting_runs(len(seeds) * len(KINDS), alpha)
    assert alerting_runs <= allowed, (f"seeds {seeds}: {alerting_runs} alerting runs of {len(seeds) * len(KINDS)} "
                                      f"at α = {alpha} (allowed {allowed}): {alerts}")
