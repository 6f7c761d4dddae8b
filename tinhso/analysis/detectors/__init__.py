"""The detectors. Each module defines ``KIND`` and ``detect(ctx: Context) -> list[Finding]`` and
is listed in :func:`registry`; :func:`run_all` runs them with their parameters from
``data/detectors.toml`` and returns the findings, most severe first.

A detector's table in ``data/detectors.toml`` holds its parameters and its sentence templates
(``finding_vi``, ``finding_en``, ``action_vi``, ``action_en``, ``rule_vi``, ``rule_en``); :func:`parameters` returns the
parameters only, :func:`templates` the templates. ``ctx.params`` overrides parameters: either
flat (``{"alpha": 0.01}``, for a single detector) or per kind (``{"hotspots": {"alpha": 0.01}}``).
With ``ctx.unit`` set, only findings about that unit are returned (its code is the finding's
responsible unit, or the commune, handling unit or agency its subject names).
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources

from tinhso.analysis.findings import Context, Finding

TEMPLATE_KEYS = ("finding_vi", "finding_en", "action_vi", "action_en", "rule_vi", "rule_en")


@functools.cache
def _table() -> dict:
    text = resources.files("tinhso.analysis").joinpath("data/detectors.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def parameters(kind: str) -> dict:
    return {k: v for k, v in _table().get(kind, {}).items() if k not in TEMPLATE_KEYS}


def templates(kind: str) -> dict[str, str]:
    return {k: v for k, v in _table().get(kind, {}).items() if k in TEMPLATE_KEYS}


@functools.cache
def registry() -> dict:
    """kind -> detect function (imported on first use: the detector modules import Django models)."""
    from tinhso.analysis.detectors import (
        hotspots,
        ranking_levers,
        rising_category,
        targets_at_risk,
        units_behind,
    )

    return {m.KIND: m.detect for m in (rising_category, hotspots, units_behind, targets_at_risk, ranking_levers)}


@functools.cache
def prefetchers() -> dict:
    """kind -> a function starting the detector's slow queries in the background (optional in a module)."""
    from tinhso.analysis.detectors import units_behind

    return {m.KIND: m.prefetch for m in (units_behind,)}


def context_for(ctx: Context, kind: str) -> Context:
    """``ctx`` with the detector's parameters: the defaults of its table overridden by ``ctx.params``."""
    given = ctx.params.get(kind) if isinstance(ctx.params.get(kind), dict) else {
        k: v for k, v in ctx.params.items() if not isinstance(v, dict)}
    return dataclasses.replace(ctx, params={**parameters(kind), **given})


def run_all(ctx: Context, kinds: list[str] | None = None) -> list[Finding]:
    from tinhso.analysis.detectors._common import unit_matches
    from tinhso.core.errors import UserError

    known = registry()
    chosen = list(known) if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in known]
    if unknown:
        raise UserError("unknown_detector", f"Không có bộ phát hiện {', '.join(unknown)}",
                        f"Unknown detector {', '.join(unknown)} (known: {', '.join(known)})", field="kinds")
    findings: list[Finding] = []
    try:
        # The slow dossier query (DuckDB, other threads) starts first and runs beside the report detectors
        # (SQLite, this thread): the month's analysis uses both cores. Same queries, same results.
        for kind in chosen:
            if kind in prefetchers():
                prefetchers()[kind](context_for(ctx, kind))
        for kind in chosen:
            findings.extend(f for f in known[kind](context_for(ctx, kind)) if unit_matches(f, ctx.unit))
    finally:
        from tinhso.dossiers.engine import drop_prefetched

        drop_prefetched()
    findings.sort(key=lambda f: (-f.severity, f.kind, f.unit_code, str(sorted(f.subject.items()))))
    return findings
