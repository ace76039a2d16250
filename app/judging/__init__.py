"""Rubrics, assignment, scoring and results (issue #5)."""
