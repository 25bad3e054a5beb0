"""The model registry: Git tags in GTO format, folded into versions and stages."""
