"""The build environment (edge: reads and sets `os.environ`): every environment variable
that can change an artifact's bytes, pinned to one value wherever a build runs.

A build must come out byte for byte the same whether it ran with `--jobs 1` or
`--jobs 8`, under `apply`, `apply --preview`, a repair or `verify`, and whatever the
caller's shell exports. So every process that builds starts with this environment: the
local pool's fork server (its workers are forked from it and inherit it) and verify's
isolated interpreter. `run_task` refuses to build in a process that did not start so
(`unpinned()`), and limits thread pools again at runtime (threadpoolctl) for libraries
that read their settings late. Pinned, with why:

    OMP_NUM_THREADS=1          OpenMP (scikit-learn's HistGradientBoosting, KMeans, ...):
                               its pickled model differs with the thread count; also
                               sizes pyarrow's and torch's pools
    OPENBLAS_NUM_THREADS=1     OpenBLAS (numpy's, scipy's BLAS): blocked reductions sum
    GOTO_NUM_THREADS=1           in another order with another thread count; GOTO_ is
                                 OpenBLAS's older name, read before OMP_NUM_THREADS
    MKL_NUM_THREADS=1          Intel MKL; MKL_DOMAIN_NUM_THREADS overrides it per
    MKL_DOMAIN_NUM_THREADS=      domain, so it is pinned too
      MKL_DOMAIN_ALL=1
    BLIS_NUM_THREADS=1         BLIS
    VECLIB_MAXIMUM_THREADS=1   Apple Accelerate (vecLib)
    NUMEXPR_NUM_THREADS=1      numexpr (pandas' eval/query); MAX_ bounds its pool
    NUMEXPR_MAX_THREADS=1
    NUMBA_NUM_THREADS=1        numba's parallel loops
    PYTHONHASHSEED=0           str/bytes hashing orders sets and hash-keyed structures,
                               and so their pickled bytes
    LC_ALL=C.UTF-8, LANG=C.UTF-8
                               the locale: number and text formatting, sort order
    PYTHONUTF8=1               UTF-8 for open() without an encoding, on every platform
    TZ=UTC                     local-time conversions of timestamps

Unset (the library's default is the pinned value):

    SKLEARN_WORKING_MEMORY, SKLEARN_PAIRWISE_DIST_CHUNK_SIZE
                               chunk sizes of scikit-learn's pairwise computations
    SKLEARN_ASSUME_FINITE      skips input validation
    SCIPY_ARRAY_API            switches scikit-learn and scipy to array-API code paths
    MKL_CBWR, MKL_ENABLE_INSTRUCTIONS
                               MKL's choice of code path (numerical results)

Thread count 1 per build: independent builds already run in parallel across workers,
and the number of workers must never change an artifact.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping

THREADS = "1"
PINNED: dict[str, str] = {
    "OMP_NUM_THREADS": THREADS,
    "OPENBLAS_NUM_THREADS": THREADS,
    "GOTO_NUM_THREADS": THREADS,
    "MKL_NUM_THREADS": THREADS,
    "MKL_DOMAIN_NUM_THREADS": f"MKL_DOMAIN_ALL={THREADS}",
    "BLIS_NUM_THREADS": THREADS,
    "VECLIB_MAXIMUM_THREADS": THREADS,
    "NUMEXPR_NUM_THREADS": THREADS,
    "NUMEXPR_MAX_THREADS": THREADS,
    "NUMBA_NUM_THREADS": THREADS,
    "PYTHONHASHSEED": "0",
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "PYTHONUTF8": "1",
    "TZ": "UTC",
}
UNSET: tuple[str, ...] = (
    "SKLEARN_WORKING_MEMORY",
    "SKLEARN_PAIRWISE_DIST_CHUNK_SIZE",
    "SKLEARN_ASSUME_FINITE",
    "SCIPY_ARRAY_API",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
)


def build_environ(base: Mapping[str, str]) -> dict[str, str]:
    """`base` with every PINNED variable set to its value and every UNSET one removed:
    the environment to start a process that builds with."""
    return {
        **{k: v for k, v in base.items() if k not in UNSET and k not in PINNED},
        **PINNED,
    }


@contextlib.contextmanager
def pinned(extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """`os.environ` is the build environment (plus `extra`) inside the block, as it was
    after it: for starting a child that copies `os.environ` and takes no `env=` (the
    fork server)."""
    extra = dict(extra or {})
    # Only these names are touched, so other threads never see a half-empty environ.
    saved = {var: os.environ.get(var) for var in (*PINNED, *UNSET, *extra)}
    try:
        for var in UNSET:
            os.environ.pop(var, None)
        os.environ.update({**PINNED, **extra})
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def unpinned() -> list[str]:
    """What in this process differs from the build environment (empty when it was
    started with it): variable names, with the value found."""
    found = [
        f"{var}={os.environ.get(var, '(unset)')}"
        for var, value in PINNED.items()
        if os.environ.get(var) != value
    ]
    found += [f"{var}={os.environ[var]}" for var in UNSET if var in os.environ]
    if sys.flags.hash_randomization:  # PYTHONHASHSEED counts only at interpreter start
        found.append("PYTHONHASHSEED (random in this interpreter)")
    return found
