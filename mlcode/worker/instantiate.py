"""Instantiating `_target_` mappings at build time (worker side), via Hydra."""

from __future__ import annotations

from typing import Any

from mlcode.config.compose import resolve_env


def instantiate(config: dict[str, Any], **kwargs: Any) -> Any:
    """Call `config['_target_']` with the other keys (nested targets built first)."""
    from hydra.utils import instantiate as hydra_instantiate

    return hydra_instantiate(resolve_env(config), _convert_="all", **kwargs)


def partial(config: dict[str, Any]) -> Any:
    """A callable for `config['_target_']` with the spec's parameters bound."""
    return instantiate(config, _partial_=True)
