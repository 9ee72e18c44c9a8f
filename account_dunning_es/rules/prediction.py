# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""When the money will come in: predicted payment dates and the cash-in
forecast.

Plain functions of a customer's payment history, so that they can be read,
tested and backtested without a database (``tests/benchmarks/
bench_prediction.py`` measures their error against naive predictors).

A payment history is a list of ``(due date, paid date)`` of paid invoices.
"""

from bisect import bisect_right
from collections import namedtuple
from datetime import timedelta

# A payment half a year old weighs half as much as one paid today: customers
# change, and their recent habits say more.
HALF_LIFE_DAYS = 180
# Weight (in "recent invoices") given to the segment's habit when blending it
# with a customer's own: with little own history the segment dominates, with
# much the customer's own.
SEGMENT_PRIOR_WEIGHT = 2.0
# An invoice already later than anything in the history: expected no sooner
# than this many days from today.
LATER_THAN_EVER_DAYS = 14
# The forecast's horizon.
FORECAST_WEEKS = 13

Prediction = namedtuple("Prediction", "days_late basis own_weight")


def lateness_samples(history, as_of):
    """``[(days late, weight)]`` of the invoices paid before ``as_of``.

    Days late may be negative (paid early). The weight halves every
    :data:`HALF_LIFE_DAYS` of age of the payment.
    """
    samples = []
    for due, paid in history:
        if paid < as_of:
            age = (as_of - paid).days
            samples.append(((paid - due).days, 0.5 ** (age / HALF_LIFE_DAYS)))
    return samples


class Lateness:
    """Weighted lateness samples, sorted, with suffix sums: the weighted mean
    of the samples later than a given number of days in one bisection (a
    segment pools thousands of samples, asked once per open invoice)."""

    __slots__ = ("days", "suffix_weight", "suffix_sum")

    def __init__(self, samples):
        ordered = sorted(samples)
        self.days = [days for days, _weight in ordered]
        self.suffix_weight = [0.0] * (len(ordered) + 1)
        self.suffix_sum = [0.0] * (len(ordered) + 1)
        for i in range(len(ordered) - 1, -1, -1):
            days, weight = ordered[i]
            self.suffix_weight[i] = self.suffix_weight[i + 1] + weight
            self.suffix_sum[i] = self.suffix_sum[i + 1] + days * weight

    def mean_after(self, already_late=0):
        """(weighted mean, total weight) of the samples later than
        ``already_late`` days when it is positive, of all otherwise;
        (None, 0) when there are none."""
        start = bisect_right(self.days, already_late) if already_late > 0 else 0
        weight = self.suffix_weight[start]
        if not weight:
            return None, 0.0
        return self.suffix_sum[start] / weight, weight


def predict_days_late(own, pool, already_late=0):
    """Expected days late of an invoice, from weighted lateness samples.

    :param own: the customer's own :class:`Lateness`
    :param pool: its segment's :class:`Lateness`, all customers together (the
        fallback)
    :param already_late: days the invoice is already overdue; only payments
        later than that are relevant then (an invoice 40 days late will not be
        paid 10 days late)
    :return: :class:`Prediction`; basis is "own", "blend" (own and segment),
        "segment", "later_than_ever" or "none" (no history at all: pays on the
        due date)
    """
    own_mean, own_weight = own.mean_after(already_late)
    pool_mean, _pool_weight = pool.mean_after(already_late)
    if own_mean is not None and pool_mean is not None:
        days = (own_weight * own_mean + SEGMENT_PRIOR_WEIGHT * pool_mean) / (
            own_weight + SEGMENT_PRIOR_WEIGHT
        )
        basis = "own" if own_weight >= 3 * SEGMENT_PRIOR_WEIGHT else "blend"
    elif own_mean is not None:
        days, basis = own_mean, "own"
    elif pool_mean is not None:
        days, basis = pool_mean, "segment"
    elif already_late > 0:
        days, basis = already_late + LATER_THAN_EVER_DAYS, "later_than_ever"
    else:
        days, basis = 0.0, "none"
    return Prediction(round(days), basis, own_weight)


NO_HISTORY = Lateness([])


def predicted_date(due, today, days_late, promise_date=None):
    """The day an open invoice is expected to be paid.

    A promise's next instalment date wins over the habit; never before today.
    """
    if promise_date:
        return max(promise_date, today)
    return max(due + timedelta(days=days_late), today)


def kept_rate(kept, broken, fallback=None):
    """Share of a customer's closed promises that were kept; ``fallback``
    (the company's rate) when it has closed none, else 1."""
    if kept + broken:
        return kept / (kept + broken)
    return 1.0 if fallback is None else fallback


def week_start(day):
    """Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weekly_forecast(items, today, weeks=FORECAST_WEEKS):
    """Expected collections per week.

    :param items: ``(date, amount, kind)`` of what may come in: kind is
        "invoice" (residual at its predicted date), "promise" (an instalment,
        already weighted) or "not_expected" (overdue money nobody expects:
        handed over, beyond the horizon, the unkept share of promises)
    :return: ``{(monday, kind): amount}``; items dated before this week fall
        in this week (overdue instalments still open), "not_expected" ones
        are all shown in this week, items expected after the horizon are left
        out (the caller classes overdue ones as "not_expected")
    """
    first = week_start(today)
    end = first + timedelta(weeks=weeks)
    result = {}
    for day, amount, kind in items:
        if kind == "not_expected":
            monday = first
        elif day >= end:
            continue
        else:
            monday = max(week_start(day), first)
        result[(monday, kind)] = result.get((monday, kind), 0.0) + amount
    return result


# Suggested credit limit: headroom over the exposure its habits justify, by
# payment behaviour (a product choice, not a legal rule).
CREDIT_FACTORS = {
    "new": 1.0,
    "on_time": 1.5,
    "occasional": 1.0,
    "chronic": 0.5,
    "promise_breaker": 0.25,
}
CREDIT_ROUNDING = 500.0


def suggested_credit_limit(monthly_sales, terms_days, days_late, behaviour, withdrawn):
    """The credit a customer's own figures justify.

    What it buys in the time it takes to pay (its payment terms plus its usual
    delay, at least a month), times a factor for its behaviour, rounded up to
    :data:`CREDIT_ROUNDING`.

    :param monthly_sales: its average invoiced amount a month, last 12 months
    :param terms_days: its average payment term in days
    :param days_late: its usual days late (the prediction)
    :param behaviour: its payment behaviour, None without history
    :param withdrawn: whether its credit is withdrawn: a credit hold, or its
        debt with an agency or in court
    :return: (limit, reason); limit None when nothing can be suggested
        (reason "no_sales"), 0 while credit is withdrawn ("withdrawn")
    """
    if withdrawn:
        return 0.0, "withdrawn"
    if monthly_sales <= 0:
        return None, "no_sales"
    months = max(terms_days + max(days_late, 0), 30) / 30
    factor = CREDIT_FACTORS.get(behaviour, 1.0)
    raw = monthly_sales * months * factor
    steps = -(-raw // CREDIT_ROUNDING)  # ceiling
    return steps * CREDIT_ROUNDING, behaviour or "new"
