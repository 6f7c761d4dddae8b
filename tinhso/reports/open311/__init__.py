"""Open311 GeoReport v2 at ``/open311/v2/``: an adapter over the reports domain.

The domain (:mod:`tinhso.reports.intake`, :mod:`~tinhso.reports.privacy`,
:mod:`~tinhso.reports.sla` …) owns every rule; this package only translates:

- :mod:`.params`: Open311 arguments (form-encoded or JSON) → validated Python values;
- :mod:`.resources`: the GeoReport resources (discovery, services, requests, tokens) built
  from domain objects, and the request creation / query calls;
- :mod:`.serializers`: JSON and XML bodies, and the spec's error format;
- :mod:`.auth`: API keys (through :mod:`tinhso.reports.apikeys`) and rate limits;
- :mod:`.views` / :mod:`.urls`: the thin HTTP door.

Developer documentation for clients: ``docs/api.md``.
"""
