"""Fieldmark: an offline desktop annotation application (CVAT-compatible)."""

__version__ = "0.1.0"
