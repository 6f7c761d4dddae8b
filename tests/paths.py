"""Where the shared development data lives: ``../shared`` beside the checkout (CI and development),
or ``TINHSO_SHARED_DIR``. Tests may read it; the product never does."""

import os
from pathlib import Path

SHARED_DIR = Path(os.environ.get("TINHSO_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
SHARED_BOUNDARIES = SHARED_DIR / "data" / "vn-communes-2025-s5m.geojson.gz"
