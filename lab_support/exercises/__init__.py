"""Exercise self-checks: the registry (:mod:`.registry`) and one module per notebook (``nb00`` …).

Each ``nbNN`` module holds that notebook's checks and, apart from them, the ``prepare_…`` set-up helpers
that build an exercise's starting point. Checks look at real state, never at the student's source.
"""

from lab_support.exercises.registry import (
    CheckResult,
    Outcome,
    check,
    compare_prediction,
    exercise,
    hint,
    judge_design,
)

__all__ = ["CheckResult", "Outcome", "check", "compare_prediction", "exercise", "hint", "judge_design"]
