"""Builders that run user code: they execute in worker processes, never in the planner."""
