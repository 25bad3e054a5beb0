"""Use cases behind the CLI, callable from Python: one module per use case.

Each use case finds the repository, reads specs and state, calls the pure core and does
its side effects through the adapters of `mlcode.workspace`. The modules mirror
`mlcode/cli/`:

    validate  plan  apply  preview  show  registry  load  transfer (push, pull)  verify
    gc  diff  doctor  init (init, remote_warning, merge_record)  ci (ci_github)  version

and share private helpers: `_saved_plan` (plan --out, apply FILE), `_builds` (runner
and store), `_git` (commit, push), `_registration` (apply's step 5), `_scorer`
(champions re-scored) and `_records` (records by address or registered version).

Every public name is re-exported here (`from mlcode import api; api.plan(...)`), lazily:
a use case's module is imported on first use, so `mlcode registry` never imports the
planner or the executor, and `mlcode plan` not the executor.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# name -> the module under mlcode.api that defines it
_EXPORTS = {
    "validate": "validate",
    "PlanOutcome": "plan",
    "parse_overrides": "plan",
    "plan": "plan",
    "exit_soon": "plan",
    "save_plan": "_saved_plan",
    "load_plan": "_saved_plan",
    "ApplyOptions": "apply",
    "ApplyOutcome": "apply",
    "apply": "apply",
    "PreviewOutcome": "preview",
    "preview": "preview",
    "show": "show",
    "registry": "registry",
    "load": "load",
    "TransferOutcome": "transfer",
    "push": "transfer",
    "pull": "transfer",
    "verify": "verify",
    "gc": "gc",
    "diff": "diff",
    "doctor": "doctor",
    "init": "init",
    "remote_warning": "init",
    "merge_record": "init",
    "CiOutcome": "ci",
    "ci_github": "ci",
    "version": "version",
}

if TYPE_CHECKING:
    from mlcode.api._saved_plan import load_plan as load_plan
    from mlcode.api._saved_plan import save_plan as save_plan
    from mlcode.api.apply import ApplyOptions as ApplyOptions
    from mlcode.api.apply import ApplyOutcome as ApplyOutcome
    from mlcode.api.apply import apply as apply
    from mlcode.api.ci import CiOutcome as CiOutcome
    from mlcode.api.ci import ci_github as ci_github
    from mlcode.api.diff import diff as diff
    from mlcode.api.doctor import doctor as doctor
    from mlcode.api.gc import gc as gc
    from mlcode.api.init import init as init
    from mlcode.api.init import merge_record as merge_record
    from mlcode.api.init import remote_warning as remote_warning
    from mlcode.api.load import load as load
    from mlcode.api.plan import PlanOutcome as PlanOutcome
    from mlcode.api.plan import exit_soon as exit_soon
    from mlcode.api.plan import parse_overrides as parse_overrides
    from mlcode.api.plan import plan as plan
    from mlcode.api.preview import PreviewOutcome as PreviewOutcome
    from mlcode.api.preview import preview as preview
    from mlcode.api.registry import registry as registry
    from mlcode.api.show import show as show
    from mlcode.api.transfer import TransferOutcome as TransferOutcome
    from mlcode.api.transfer import pull as pull
    from mlcode.api.transfer import push as push
    from mlcode.api.validate import validate as validate
    from mlcode.api.verify import verify as verify
    from mlcode.api.version import version as version


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and keep the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """`mlcode.api`, whose use-case functions keep their names when the modules of the
    same name are imported: the import system sets `mlcode.api.plan` to the module
    `mlcode.api.plan` once it is loaded, which would hide the function `api.plan`."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return  # the module stays reachable as sys.modules["mlcode.api.NAME"]
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = sorted(_EXPORTS)
