"""Public-service dossiers (hồ sơ TTHC) and the Decision 766 index computed from them."""
