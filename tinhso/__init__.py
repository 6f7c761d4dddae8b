"""tinhso — Tỉnh số: an Intelligent Operations Center platform for a Vietnamese province."""

__version__ = "0.1.0"
