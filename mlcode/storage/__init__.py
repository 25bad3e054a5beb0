"""Artifact storage through DVC (the only package that imports DVC)."""
