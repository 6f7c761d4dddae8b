"""CLI groups of the geo app: ``tinhso units …`` (cli_units) and ``tinhso geo …`` (cli_geo)."""

from tinhso.geo import cli_geo, cli_units


def register(subparsers) -> None:
    cli_units.register(subparsers)
    cli_geo.register(subparsers)
