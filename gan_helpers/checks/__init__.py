"""Exercise checks: one module per notebook (``nb01``, ``nb02``, ...).

Each check takes the learner's function or value, tries it on cases where the answer
is known, and either prints a short pass line or raises ``CheckFailed`` with a message
that says what is wrong. nbgrader's graded cells call these checks.
"""
from ._core import CheckFailed, check, passed  # noqa: F401
