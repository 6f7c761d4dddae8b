"""Init and demo steps of the geo app, called by ``tinhso init`` / ``tinhso demo``."""

from tinhso.geo import boundaries, registry


def init(out=print) -> None:
    registry.ensure_loaded(out=out)


def load_demo(out=print) -> None:
    # Real polygons are imported by an operator; on a fresh machine the demo falls back to
    # approximate boundaries built from the registry's centroids (labelled "approximate").
    boundaries.ensure_active(out=out)
