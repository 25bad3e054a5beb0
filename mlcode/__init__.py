"""mlcode: Terraform for machine learning.

Specs in `conf/` declare datasets and models; `plan` shows what would be built and why;
`apply` builds it, stores artifacts through DVC and records results in Git.
"""

from mlcode.address import Address, Kind
from mlcode.errors import CorruptCacheWarning, MlcodeError, SpecError

# The one place the version is written: pyproject.toml reads it from here at build time
# (setuptools `dynamic`), and `mlcode --version` reads the installed metadata.
__version__ = "0.1.0"


def load(ref: str, start: str | None = None):
    """The fitted estimator of `model.NAME`, `model.NAME@vX.Y.Z` or `model.NAME#STAGE`
    (fetched from the DVC remote if it is not present): `mlcode.load("model.rf#production")`.
    Its bytes are checked against the record first; a corrupt cache object is moved to
    `.mlcode/quarantine/` and fetched again (a `CorruptCacheWarning` says so), and
    MlcodeError is raised when no intact copy exists.
    """
    from mlcode.api import load as _load

    return _load(ref, start)


__all__ = [
    "Address",
    "CorruptCacheWarning",
    "Kind",
    "MlcodeError",
    "SpecError",
    "__version__",
    "load",
]
