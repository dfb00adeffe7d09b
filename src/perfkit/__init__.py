"""perfkit: an embeddable, exact engine for sales performance plans.

Everything public is exported here (and from the public modules
:mod:`perfkit.errors` and :mod:`perfkit.testing`); all other modules are private.
"""

from perfkit._dataset import Dataset
from perfkit._engine import evaluate
from perfkit._loader import load_policy
from perfkit._numbers import RoundingMode, allocate, parse_decimal, quantize
from perfkit._org import Membership, OrgTree
from perfkit._policy import Policy
from perfkit._registry import Registry
from perfkit._result import Result
from perfkit._time import Calendar, Period
from perfkit._trace import Trace
from perfkit._version import __version__
from perfkit.errors import (
    DataError,
    Diagnostic,
    EvaluationError,
    InvalidValueError,
    Location,
    OrgTreeError,
    PerfkitError,
    PolicyError,
    Severity,
)

__all__ = [
    "Calendar",
    "DataError",
    "Dataset",
    "Diagnostic",
    "EvaluationError",
    "InvalidValueError",
    "Location",
    "Membership",
    "OrgTree",
    "OrgTreeError",
    "PerfkitError",
    "Period",
    "Policy",
    "PolicyError",
    "Registry",
    "Result",
    "RoundingMode",
    "Severity",
    "Trace",
    "__version__",
    "allocate",
    "evaluate",
    "load_policy",
    "parse_decimal",
    "quantize",
]
