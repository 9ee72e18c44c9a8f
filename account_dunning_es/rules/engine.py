# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Business rules of the dunning engine, as plain functions.

Nothing here touches the database: inputs are dates, numbers and small
tuples, so each rule can be read and tested on its own. The models call
them with data they fetched in batches.
"""

from collections import namedtuple
from datetime import timedelta

# What a rule needs to know of a stage: its id, its order in the policy and
# the day, relative to the due date, from which it may be issued.
StageInfo = namedtuple("StageInfo", "id sequence offset")

# Partner status, most serious first: the first that applies wins.
STATUS_ORDER = (
    "excluded",
    "legal",
    "agency",
    "promise",
    "collection",
    "overdue",
    "due_soon",
    "ok",
)


def days_overdue(date_due, today):
    """Days past the due date (negative before it, 0 on the day)."""
    if not date_due:
        return 0
    return (today - date_due).days


def effective_offset(offset, grace_days):
    """Grace days push back every stage issued after the due date."""
    return offset + grace_days if offset > 0 else offset


def pending_stages(stages, current_sequence, overdue_days=None):
    """Stages after the current one, in order.

    Once the invoice is overdue (``overdue_days`` > 0), the pre-reminders
    (negative offset) are passed over: they make no sense any more.
    """
    ordered = sorted(stages, key=lambda s: (s.sequence, s.id))
    pending = [s for s in ordered if current_sequence is None or s.sequence > current_sequence]
    if overdue_days is not None and overdue_days > 0:
        pending = [s for s in pending if s.offset >= 0]
    return pending


def next_stage(stages, current_sequence, overdue_days, days_since_last, min_gap, grace_days=0):
    """Return the StageInfo an invoice must be issued now, or None.

    :param stages: StageInfo of the policy, in any order
    :param current_sequence: sequence of the stage the invoice already
        reached in this cycle, or None when it reached none
    :param overdue_days: days past the due date today
    :param days_since_last: days since the last reminder of the invoice,
        or None when it never got one
    :param min_gap: minimum days between two reminders of one invoice
    :param grace_days: days added to stages issued after the due date

    Stages are never skipped: an invoice climbs one stage at a time, at
    least ``min_gap`` days apart, so a late first run catches up in order
    instead of sending the final demand first. The only exception is the
    friendly pre-reminder (negative offset), which makes no sense once the
    invoice is overdue and is passed over then.
    """
    pending = pending_stages(stages, current_sequence, overdue_days)
    if not pending:
        return None
    candidate = pending[0]
    if overdue_days < effective_offset(candidate.offset, grace_days):
        return None
    if days_since_last is not None and days_since_last < min_gap:
        return None
    return candidate


def stages_after_handover(stages, friendly_ids):
    """Stages left for a customer already handed over to an agency or for legal action.

    Such a customer gets no friendly message any more: its other invoices
    pass over the friendly stages (pre-reminders, courtesy reminders) and are
    claimed from the first firm stage on, at that stage's day.

    :param stages: StageInfo of the policy
    :param friendly_ids: ids of the policy's friendly-tone stages
    """
    return [s for s in stages if s.id not in friendly_ids]


def forced_next_stage(stages, current_sequence, overdue_days):
    """Stage to issue now when a collector asks for the next reminder at once.

    Dates and gaps are ignored, the order is not: the stage after the current
    one. Before the due date only a pre-reminder may be forced; after it,
    pre-reminders are passed over.
    """
    pending = pending_stages(stages, current_sequence, overdue_days)
    if overdue_days <= 0:
        pending = [s for s in pending if s.offset < 0]
    return pending[0] if pending else None


def shortcut_to_final(stages, final_ids, current_sequence, overdue_days, days_since_last, min_gap):
    """Next stage of a customer suspected of unwillingness or fraud.

    The first final-tone stage after the current one, as soon as the invoice
    is overdue and the minimum gap since the last reminder has passed: the
    intermediate reminders are skipped.
    """
    if overdue_days <= 0:
        return None
    pending = pending_stages(stages, current_sequence)
    target = next((s for s in pending if s.id in final_ids), None)
    if target is None:
        return next_stage(stages, current_sequence, overdue_days, days_since_last, min_gap)
    if days_since_last is not None and days_since_last < min_gap:
        return None
    return target


def next_action_day(stages, current_sequence, overdue_days, days_since_last, min_gap, grace_days=0):
    """Days from today until the invoice's next stage is due (0 = today).

    None when the invoice has no stage left.
    """
    pending = pending_stages(stages, current_sequence, overdue_days)
    if not pending:
        return None
    wait = effective_offset(pending[0].offset, grace_days) - overdue_days
    if days_since_last is not None:
        wait = max(wait, min_gap - days_since_last)
    return max(wait, 0)


# What any invoice needs to reach a stage today, whatever policy applies:
# ``min_gap`` days since its last reminder at least, and, per sequence of the
# stage it reached (None: none yet), ``offsets`` the fewest days overdue
# (negative: before the due date) at which a later stage may be issued. A
# sequence with no later stage is absent: its invoices have nothing left.
ClaimBounds = namedtuple("ClaimBounds", "min_gap offsets")


def claim_bounds(stages, current_sequences, min_gaps, grace_days):
    """Necessary conditions for an invoice to reach a stage in a daily run.

    :param stages: StageInfo of every active stage of every policy that may
        apply (a superset is fine: the bounds only get looser)
    :param current_sequences: sequences of the stages invoices may sit at,
        archived ones included
    :param min_gaps: ``min_days_between`` of those policies
    :param grace_days: ``grace_days`` of those policies
    :return: ClaimBounds, so that every invoice for which :func:`next_stage`
        or :func:`shortcut_to_final` returns a stage passes
        :func:`may_reach_stage`; the daily run reads no other invoice.
    """
    min_gap = min(min_gaps, default=0)
    least_grace = min(min(grace_days, default=0), 0)
    offsets = {}
    for current in {None, *current_sequences}:
        later = [
            effective_offset(s.offset, least_grace)
            for s in stages
            if current is None or s.sequence > current
        ]
        if later:
            offsets[current] = min(later)
    return ClaimBounds(min_gap, offsets)


def may_reach_stage(bounds, current_sequence, overdue_days, days_since_last, unwilling=False):
    """Whether an invoice passes the bounds of :func:`claim_bounds`.

    A customer suspected of unwillingness goes straight to the final stage,
    whatever its offset: only the gap applies then.
    """
    if days_since_last is not None and days_since_last < bounds.min_gap:
        return False
    if current_sequence not in bounds.offsets:
        return False
    return unwilling or overdue_days >= bounds.offsets[current_sequence]


def partner_status(
    excluded=False,
    has_legal=False,
    has_agency=False,
    has_open_promise=False,
    has_staged_overdue=False,
    has_overdue=False,
    has_due_soon=False,
):
    """Status of a customer's account, from facts about its open items."""
    facts = {
        "excluded": excluded,
        "legal": has_legal,
        "agency": has_agency,
        "promise": has_open_promise,
        "collection": has_staged_overdue,
        "overdue": has_overdue,
        "due_soon": has_due_soon,
    }
    for status in STATUS_ORDER:
        if facts.get(status):
            return status
    return "ok"


def above_threshold(net_balance, threshold):
    """A customer is dunned only when it owes more than the threshold."""
    return net_balance > 0 and net_balance >= threshold


def review_rests(since, limit_days, on_date):
    """Whether an invoice whose customer spoke on its statement page ("I have
    already paid", a dispute, a missing document, another reason) still rests
    on ``on_date``: from ``since`` until the collector resolves it, at most
    ``limit_days`` days (0: no limit). After the limit the run resumes it and
    tells the collector, so nothing resumes silently."""
    if not since:
        return False
    return not limit_days or (on_date - since).days <= limit_days


# ----------------------------------------------------------------------
# Payment promises and payment behaviour
# ----------------------------------------------------------------------
PromiseEvaluation = namedtuple("PromiseEvaluation", "state paid broken_on next_due")


def evaluate_promise(instalments, payments, today, grace_days=0, tolerance=0.01):
    """State of a payment promise from its instalments and the payments since.

    :param instalments: [(date, amount)] (one for a simple promise)
    :param payments: [(date, amount)] received on the covered invoices since
        the promise was made
    :param grace_days: days after an instalment date before it is late
    :return: PromiseEvaluation(state, paid, broken_on, next_due) where state
        is "kept" (everything paid), "broken" (an instalment date plus the
        grace passed without the amounts due by then) or "open"; broken_on
        is the instalment date that was missed; next_due the next unpaid
        instalment date.
    """
    ordered = sorted(instalments)
    total = sum(amount for _date, amount in ordered)
    paid = sum(amount for _date, amount in payments)
    if paid >= total - tolerance:
        return PromiseEvaluation("kept", paid, None, None)
    due_so_far = 0.0
    next_due = None
    for inst_date, amount in ordered:
        due_so_far += amount
        deadline = inst_date + timedelta(days=grace_days)
        paid_by_deadline = sum(a for d, a in payments if d <= deadline)
        if paid_by_deadline >= due_so_far - tolerance:
            continue
        if today > deadline:
            return PromiseEvaluation("broken", paid, inst_date, None)
        next_due = next_due or inst_date
    return PromiseEvaluation("open", paid, None, next_due)


BEHAVIOURS = ("new", "on_time", "occasional", "chronic", "promise_breaker")

# Fewer paid invoices than this in a year say too little to call a customer
# a chronic late payer: one invoice paid late is an occasional delay.
BEHAVIOUR_MIN_HISTORY = 3

# What a classification is based on: invoices paid in the year, how many of
# them late, their average days late, and promises broken in that time.
BehaviourFacts = namedtuple("BehaviourFacts", "paid late average_days_late broken")


def behaviour_facts(paid_invoices, broken_promises, late_days=5):
    """The facts of a customer's payment behaviour.

    :param paid_invoices: [(due date, last payment date)] of the last year
    :param broken_promises: number of broken promises in that time
    :param late_days: days after the due date from which a payment is late
    """
    late = [(paid - due).days for due, paid in paid_invoices if (paid - due).days > late_days]
    average = sum(late) / len(late) if late else 0.0
    return BehaviourFacts(len(paid_invoices), len(late), average, broken_promises)


def payment_behaviour(
    paid_invoices, broken_promises, late_days=5, min_history=BEHAVIOUR_MIN_HISTORY
):
    """Classify a customer from its paid invoices and broken promises.

    New / unknown: nothing paid and no promise broken in the year.

    Chronic: more than half of at least ``min_history`` paid invoices late,
    or late by more than 30 days on average.

    :param paid_invoices: [(due date, last payment date)] of the last year
    :param broken_promises: number of broken promises in that time
    """
    facts = behaviour_facts(paid_invoices, broken_promises, late_days)
    if broken_promises >= 2:
        return "promise_breaker"
    if not facts.paid:
        # Nothing paid says nothing of how it pays; a broken promise does.
        return "occasional" if broken_promises else "new"
    enough_history = facts.paid >= min_history
    if enough_history and (facts.late / facts.paid > 0.5 or facts.average_days_late > 30):
        return "chronic"
    if facts.late or broken_promises:
        return "occasional"
    return "on_time"
