"""Imported by the fork server before it forks workers: the heavy libraries, once."""

from mlcode.build.runtime import preload

preload()
