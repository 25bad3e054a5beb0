"""Graphs: a generic DAG, and the resource DAG built from specs."""
