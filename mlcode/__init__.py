"""mlcode: Terraform for machine learning.

Specs in `conf/` declare datasets and models; `plan` shows what would be built and why;
`apply` builds it, stores artifacts through DVC and records results in Git.
"""

from mlcode.address import Address, Kind
from mlcode.errors import MlcodeError, SpecError

__version__ = "0.1.0"

__all__ = ["Address", "Kind", "MlcodeError", "SpecError", "__version__"]
