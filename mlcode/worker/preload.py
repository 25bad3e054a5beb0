"""Imported by the fork server before it forks workers: its lifeline, then the heavy
libraries, once.

The lifeline comes first, so that a fork server whose apply is killed during these
imports dies too; the workers it forks then bind to it (pool initializer).
The modules are `runtime.WARM_MODULES`, which every build imports before it seeds the
global generators (an isolated build too), so no build sees another's import-time draws.
"""

import os

from mlcode.worker import lifeline

lifeline.bind()
os.environ.update(lifeline.environ_for_child())  # the workers' parent is this process

from mlcode.worker.runtime import warm_imports  # noqa: E402 - after the lifeline

warm_imports()
