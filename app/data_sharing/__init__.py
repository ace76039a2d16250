"""Datasets, access requests, grants and access logs (issue #6)."""
