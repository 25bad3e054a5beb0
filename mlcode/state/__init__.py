"""Recorded state: what was built, from which inputs, with which results."""
