# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Whom a collector calls first, and why: the worklist's priority score.

A plain function of a customer's facts, so that its parts can be shown and
tested. Each part is capped, so that no single fact hides the others.
"""

from collections import namedtuple

ScoreParts = namedtuple(
    "ScoreParts", "amount days stage behaviour broken strategic expected", defaults=(0,)
)

# Points per fact, and their caps.
AMOUNT_STEP = 250.0  # one point per 250 of overdue amount, company currency
AMOUNT_CAP = 40
DAYS_STEP = 3  # one point per three days overdue
DAYS_CAP = 30
STAGE_POINTS = {"friendly": 0, "firm": 5, "final": 10, "handover": 15}
BEHAVIOUR_POINTS = {
    "new": 0,
    "on_time": 0,
    "occasional": 5,
    "chronic": 10,
    "promise_breaker": 15,
}
BROKEN_POINTS = 5
BROKEN_CAP = 15
STRATEGIC_POINTS = 10
# Not expected to pay soon on its own (predicted payment date): days ahead,
# points. No prediction yet (the daily job has not run) gives none.
EXPECTED_POINTS = ((30, 10), (14, 5))


def expected_points(days_until_expected):
    """Points for a customer whose next payment is predicted far off."""
    if days_until_expected is None:
        return 0
    for days, points in EXPECTED_POINTS:
        if days_until_expected > days:
            return points
    return 0


def priority_parts(
    amount,
    days_overdue,
    stage,
    behaviour,
    broken_promises,
    strategic,
    days_until_expected=0,
):
    """The score's parts for a customer.

    :param amount: overdue amount, in company currency
    :param days_overdue: days past the due date of its oldest overdue invoice
    :param stage: tone of its current stage ("friendly", "firm", "final") or
        "handover"; None when it has reached none
    :param behaviour: its payment behaviour
    :param broken_promises: promises it broke in the last twelve months
    :param strategic: whether it is in the strategic segment (kept close)
    :param days_until_expected: days from today to its next predicted
        payment, None without prediction
    """
    return ScoreParts(
        amount=min(int(max(amount, 0) // AMOUNT_STEP), AMOUNT_CAP),
        days=min(max(days_overdue, 0) // DAYS_STEP, DAYS_CAP),
        stage=STAGE_POINTS.get(stage, 0),
        behaviour=BEHAVIOUR_POINTS.get(behaviour, 0),
        broken=min(broken_promises * BROKEN_POINTS, BROKEN_CAP),
        strategic=STRATEGIC_POINTS if strategic else 0,
        expected=expected_points(days_until_expected),
    )


def priority_score(parts):
    return sum(parts)


def changed_values(current, new, tolerance=0.005):
    """The values of ``new`` that differ from a row as read (``current``,
    plain values, as ``read(load=None)`` gives them): empty values (False,
    None, 0) are alike, amounts equal to the half cent are the same."""
    changes = {}
    for name, value in new.items():
        old = current.get(name)
        if isinstance(value, float) or isinstance(old, float):
            same = abs((value or 0.0) - (old or 0.0)) < tolerance
        else:
            same = (value or False) == (old or False)
        if not same:
            changes[name] = value
    return changes
