"""Renderers: pure functions from plans and results to text, JSON and Markdown."""
