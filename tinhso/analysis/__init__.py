"""Monthly analysis with recommendations (issue 13): detectors find what changed, templates say it.

Layout (see docs/analysis.md):

- :mod:`tinhso.analysis.findings` — the contract between detectors and the report: a detector
  returns :class:`~tinhso.analysis.findings.Finding` objects, each carrying every figure its
  sentence needs; the report never computes a number itself.
- :mod:`tinhso.analysis.detectors` — one module per detector, its parameters as data
  (``data/detectors.toml``), registered in :func:`tinhso.analysis.detectors.registry`.
- the monthly report (headline figures, recommendations, HTML/PDF/DOCX, ``/phan-tich``) on top.
"""
