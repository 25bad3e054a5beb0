"""Graphs: a generic DAG (the resource DAG built from specs is `mlcode.config.graph`)."""
