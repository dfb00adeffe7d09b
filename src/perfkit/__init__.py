"""perfkit: an embeddable, exact engine for sales performance plans.

Everything public is exported here (and from the public modules
:mod:`perfkit.errors` and :mod:`perfkit.testing`); all other modules are private.
"""

from perfkit._numbers import RoundingMode, allocate, parse_decimal, quantize
from perfkit._time import Calendar, Period
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
    "Diagnostic",
    "EvaluationError",
    "InvalidValueError",
    "Location",
    "OrgTreeError",
    "PerfkitError",
    "Period",
    "PolicyError",
    "RoundingMode",
    "Severity",
    "__version__",
    "allocate",
    "parse_decimal",
    "quantize",
]
