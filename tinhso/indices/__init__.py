"""Composite indices (DTI, PCI, the 766 service index): methods as YAML, scores, ranks, what-if, sensitivity."""
