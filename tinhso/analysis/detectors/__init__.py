"""The detectors. Each module defines ``KIND`` and ``detect(ctx: Context) -> list[Finding]`` and
is listed in :data:`REGISTRY`; :func:`run_all` runs them with their parameters from
``data/detectors.toml`` and returns the findings, most severe first."""

from __future__ import annotations

from tinhso.analysis.findings import Context, Finding

REGISTRY: dict = {}  # kind -> detect function, filled by the detector modules


def run_all(ctx: Context, kinds: list[str] | None = None) -> list[Finding]:
    raise NotImplementedError("detectors land with issue 13")
