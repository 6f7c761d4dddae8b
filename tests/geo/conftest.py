"""Geo test fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_boundaries(db):
    """A database without commune boundaries, whatever another directory's session fixture imported
    before (reports, analysis keep theirs for the session): every boundary version is removed inside
    this test's transaction, rolled back after it."""
    from tinhso.geo.models import BoundaryVersion

    BoundaryVersion.objects.all().delete()
