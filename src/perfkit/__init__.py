"""perfkit: an embeddable, exact engine for sales performance plans.

Everything public is exported here (and from the public modules
:mod:`perfkit.errors` and :mod:`perfkit.testing`); all other modules are private.
"""

from perfkit._dataset import Dataset
from perfkit._engine import evaluate
from perfkit._goals_actuals import Actuals
from perfkit._goals_check import check_goals
from perfkit._goals_decompose import decompose
from perfkit._goals_findings import GoalFinding
from perfkit._goals_model import Decomposition, Goal, HistoryBasis, OrgSplit, TimeSplit
from perfkit._goals_plan import GoalPlan
from perfkit._goals_presence import prorate
from perfkit._goals_replan import replan
from perfkit._goals_rollup import credit_shared, rollup
from perfkit._loader import load_policy
from perfkit._numbers import RoundingMode, allocate, parse_decimal, quantize
from perfkit._org import Membership, OrgTree
from perfkit._periods import evaluate_periods
from perfkit._policy import Policy
from perfkit._registry import Registry
from perfkit._result import Result
from perfkit._suggest import suggest_targets
from perfkit._suggest_backtest import backtest
from perfkit._suggest_model import Market, Tiers
from perfkit._suggest_result import Suggestion, SuggestionSet
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
    "Actuals",
    "Calendar",
    "DataError",
    "Dataset",
    "Decomposition",
    "Diagnostic",
    "EvaluationError",
    "Goal",
    "GoalFinding",
    "GoalPlan",
    "HistoryBasis",
    "InvalidValueError",
    "Location",
    "Market",
    "Membership",
    "OrgSplit",
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
    "Suggestion",
    "SuggestionSet",
    "Tiers",
    "TimeSplit",
    "Trace",
    "__version__",
    "allocate",
    "backtest",
    "check_goals",
    "credit_shared",
    "decompose",
    "evaluate",
    "evaluate_periods",
    "load_policy",
    "parse_decimal",
    "prorate",
    "quantize",
    "replan",
    "rollup",
    "suggest_targets",
]
