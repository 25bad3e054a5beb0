"""Specs: reading, composing, validating and fingerprinting the desired state."""
