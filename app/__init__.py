"""Tremplin: open-innovation challenges with governed data sharing."""
