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


# ----------------------------------------------------------------------
# Who the late-payment law covers (Ley 3/2004, BOE-A-2004-21830)
# ----------------------------------------------------------------------
REGIMES = ("business", "administration", "consumer")


def default_regime(public_sector, is_company, has_tax_id):
    """The late-payment regime of a customer, until the accountant says otherwise.

    - administration: a public-sector entity (Ley 3/2004 art. 2 b), which
      refers to Ley 9/2017 (LCSP) art. 3.3): the customers of the public
      administration segment;
    - business: "any natural or legal person acting in the exercise of its
      independent economic or professional activity" (art. 2 a): a company,
      or a person invoiced with a tax id, as an autónomo is;
    - consumer: anyone else; the law does not apply to payments of
      transactions with consumers (art. 3).
    """
    if public_sector:
        return "administration"
    if is_company or has_tax_id:
        return "business"
    return "consumer"


# Ley 9/2017 (LCSP), art. 198.4: an administration pays within thirty days of
# approving the conformity of the goods or services (certification).
ADMINISTRATION_PAYMENT_DAYS = 30


def administration_due_date(conformity_date):
    """Last day an administration may pay an invoice whose conformity it
    approved on ``conformity_date`` (LCSP art. 198.4); interest runs after it."""
    return conformity_date + timedelta(days=ADMINISTRATION_PAYMENT_DAYS)


# ----------------------------------------------------------------------
# Delivery of letters as evidence
# ----------------------------------------------------------------------
SENDING_METHODS = [
    ("post", "Ordinary Post"),
    ("email", "Email"),
    ("hand", "Hand Delivery (Signed Copy)"),
    ("certified", "Certified Post with Acknowledgement of Receipt"),
    ("burofax", "Burofax with Content Certification and Acknowledgement of Receipt"),
    ("certified_email", "Certified Email (Qualified Trust Service)"),
]
DELIVERY_OUTCOMES = [
    ("sent", "Sent, No Answer Yet"),
    ("delivered", "Delivered"),
    ("refused", "Refused"),
    ("returned", "Returned"),
    ("not_collected", "Not Collected"),
]
# What each way of sending proves: ordinary post and plain email prove
# nothing of their own; certified post with acknowledgement proves sending and
# receipt; burofax with content certification and a qualified certified email
# (Regulation (EU) 910/2014, art. 43) prove content, date and receipt too.
DELIVERY_PROOF = {
    "post": frozenset(),
    "email": frozenset(),
    "hand": frozenset({"receipt"}),
    "certified": frozenset({"sending", "receipt"}),
    "burofax": frozenset({"sending", "content", "receipt"}),
    "certified_email": frozenset({"sending", "content", "receipt"}),
}


def proven_receipt(method, outcome, receipt_date):
    """The day receipt of a letter is proven, or None.

    Only a way of sending that proves receipt, delivered, with its receipt
    date; a refused, returned or uncollected letter proves no receipt here.
    """
    if "receipt" in DELIVERY_PROOF.get(method, ()) and outcome == "delivered" and receipt_date:
        return receipt_date
    return None


# ----------------------------------------------------------------------
# Credit information systems (Ley Orgánica 3/2018, LOPDGDD, art. 20)
# ----------------------------------------------------------------------
# Art. 20.1 d): data kept at most five years from the due date.
BUREAU_MAX_YEARS = 5
# Principal under 50 EUR is never reported (LOPDGDD, additional provision
# six, as secondary sources report it: its text was not in the search store).
BUREAU_MIN_PRINCIPAL = 50.0

BureauEligibility = namedtuple("BureauEligibility", "eligible date amount reason evidence")


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def bureau_eligibility(regime, notices, debts, today, min_principal=BUREAU_MIN_PRINCIPAL):
    """Whether, and from when, a customer's debt may be reported to a credit bureau.

    :param regime: the customer's late-payment regime
    :param notices: [(reference, method, outcome, receipt date)] of the letters
        that warned the customer of the reporting (art. 20.1 c)
    :param debts: [(due date, principal, disputed)] of its open invoices
    :param today: the day of the assessment
    :return: BureauEligibility(eligible, date from which, reportable principal,
        reason code when not eligible, reference of the proving letter)

    Reportable: certain, due and payable debts not disputed (art. 20.1 b),
    due at most five years ago (art. 20.1 d), 50 EUR of principal at least,
    once a notice of the reporting was received, its receipt proven (not
    ordinary post or plain email). An administration is claimed by the LCSP
    route, never reported.
    """
    if regime == "administration":
        return BureauEligibility(False, None, 0.0, "administration", None)
    overdue = [(due, amount, disputed) for due, amount, disputed in debts if due and due < today]
    if not overdue:
        return BureauEligibility(False, None, 0.0, "nothing_due", None)
    undisputed = [(due, amount) for due, amount, disputed in overdue if not disputed]
    if not undisputed:
        return BureauEligibility(False, None, 0.0, "disputed", None)
    oldest_allowed = _years_before(today, BUREAU_MAX_YEARS)
    recent = [amount for due, amount in undisputed if due >= oldest_allowed]
    if not recent:
        return BureauEligibility(False, None, 0.0, "too_old", None)
    amount = sum(recent)
    if amount < min_principal:
        return BureauEligibility(False, None, amount, "under_minimum", None)
    if not notices:
        return BureauEligibility(False, None, amount, "no_notice", None)
    proven = sorted(
        (proven_receipt(method, outcome, received), reference)
        for reference, method, outcome, received in notices
        if proven_receipt(method, outcome, received)
    )
    if not proven:
        return BureauEligibility(False, None, amount, "notice_not_proven", None)
    received, reference = proven[0]
    return BureauEligibility(True, received, amount, None, reference)


def above_threshold(net_balance, threshold):
    """A customer is dunned only when it owes more than the threshold."""
    return net_balance > 0 and net_balance >= threshold


# ----------------------------------------------------------------------
# Ley 3/2004: late-payment interest and compensation for collection costs
# ----------------------------------------------------------------------
# Rate periods as (date_start, date_end, annual rate in %), e.g. the legal
# rate of a semester. Payments as (date, amount).
InterestPeriod = namedtuple("InterestPeriod", "date_start date_end days principal rate interest")
MissingPeriod = namedtuple("MissingPeriod", "date_start date_end days principal")

COMPENSATION_EUR = 40.0  # Ley 3/2004, art. 8: fixed, per invoice


def semester_of(day):
    """(first day, last day) of the calendar semester of ``day``.

    Ley 3/2004, art. 7.2: the late-payment rate is set per calendar semester
    (the ECB rate of its last main refinancing operation before the first day
    of the semester, plus eight points).
    """
    if day.month <= 6:
        return day.replace(month=1, day=1), day.replace(month=6, day=30)
    return day.replace(month=7, day=1), day.replace(month=12, day=31)


def rate_covers(rates, day):
    """Whether a rate of [(date_start, date_end, rate)] applies on ``day``."""
    return any(start <= day <= end for start, end, _rate in rates)


def _principal_steps(principal, due_date, payments):
    """[(from_date, principal)] after each payment made after the due date.

    Payments on or before the due date reduce the principal from the start.
    """
    amount = principal
    later = []
    for pay_date, pay_amount in sorted(payments or []):
        if pay_date <= due_date:
            amount -= pay_amount
        else:
            later.append((pay_date, pay_amount))
    steps = [(due_date + timedelta(days=1), max(amount, 0.0))]
    for pay_date, pay_amount in later:
        amount = max(amount - pay_amount, 0.0)
        # Interest runs up to the day of payment included.
        steps.append((pay_date + timedelta(days=1), amount))
    return steps


def late_payment_interest(principal, due_date, until, rates, payments=None, year_days=365):
    """Interest owed on an invoice from the day after its due date to ``until``.

    :param principal: amount of the invoice (before payments)
    :param due_date: due date; interest runs from the next day
    :param until: last day counted (the date of the letter)
    :param rates: [(date_start, date_end, rate %)], e.g. semesters
    :param payments: [(date, amount)] received for the invoice
    :return: (periods, missing): InterestPeriod with the interest of each
        stretch where a rate applies, MissingPeriod for stretches without a
        published rate (never invented).
    """
    periods, missing = [], []
    if not due_date or until <= due_date:
        return periods, missing
    steps = _principal_steps(principal, due_date, payments)
    # Stretches of constant principal, cut by rate boundaries.
    boundaries = {step_from for step_from, _amount in steps}
    for start, end, _rate in rates:
        boundaries.add(start)
        boundaries.add(end + timedelta(days=1))
    first = due_date + timedelta(days=1)
    cuts = sorted(b for b in boundaries if first <= b <= until)
    if not cuts or cuts[0] != first:
        cuts.insert(0, first)
    cuts.append(until + timedelta(days=1))
    for start, next_start in zip(cuts, cuts[1:], strict=False):
        end = next_start - timedelta(days=1)
        if end < start:
            continue
        amount = [a for step_from, a in steps if step_from <= start][-1]
        if amount <= 0:
            continue
        days = (end - start).days + 1
        rate = next((r for r_start, r_end, r in rates if r_start <= start <= r_end), None)
        if rate is None:
            _merge(missing, MissingPeriod(start, end, days, amount))
            continue
        interest = amount * rate / 100.0 * days / year_days
        periods.append(InterestPeriod(start, end, days, amount, rate, interest))
    return periods, missing


def _merge(missing, period):
    """Join consecutive missing stretches with the same principal."""
    if (
        missing
        and missing[-1].date_end + timedelta(days=1) == period.date_start
        and (missing[-1].principal == period.principal)
    ):
        last = missing.pop()
        period = MissingPeriod(
            last.date_start, period.date_end, last.days + period.days, period.principal
        )
    missing.append(period)


def letter_deadline(letter_date, deadline_days):
    """Date by which the customer must pay after receiving the letter."""
    return letter_date + timedelta(days=deadline_days)


# A payment reference a bank transfer can carry: SEPA's remittance text holds
# 140 characters, so a letter or email claiming more invoices than a few asks
# for its own reference (which the invoices it lists tie to each of them).
PAYMENT_REFERENCE_MAX_INVOICES = 10


def payment_reference(invoice_references, communication_reference):
    """What the customer should quote when paying the invoices of a communication."""
    if len(invoice_references) <= PAYMENT_REFERENCE_MAX_INVOICES or not communication_reference:
        return ", ".join(invoice_references)
    return communication_reference


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


BEHAVIOURS = ("on_time", "occasional", "chronic", "promise_breaker")

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

    Chronic: more than half of at least ``min_history`` paid invoices late,
    or late by more than 30 days on average.

    :param paid_invoices: [(due date, last payment date)] of the last year
    :param broken_promises: number of broken promises in that time
    """
    facts = behaviour_facts(paid_invoices, broken_promises, late_days)
    if broken_promises >= 2:
        return "promise_breaker"
    if not facts.paid:
        return "on_time"
    enough_history = facts.paid >= min_history
    if enough_history and (facts.late / facts.paid > 0.5 or facts.average_days_late > 30):
        return "chronic"
    if facts.late or broken_promises:
        return "occasional"
    return "on_time"


# ----------------------------------------------------------------------
# Effectiveness of the contacts
# ----------------------------------------------------------------------
def month_of(day):
    return day.replace(day=1)


def median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def effectiveness_table(contacts, payments, new_debts, window_days):
    """Monthly effectiveness per contact method.

    :param contacts: [(date, channel, partner, {invoice: amount claimed})]
    :param payments: {invoice: [(payment id, date, amount)]}, credit notes
        left out
    :param new_debts: [(date overdue, partner, amount)] of invoices that
        became overdue
    :param window_days: a payment counts when it comes at most this many
        days after the contact, and strictly after it
    :return: {(month, channel): figures} and {month: new debt figures}

    Figures of a month and method: customers contacted (each once however
    many contacts), amount claimed (each invoice once, at its first
    contact), customers who paid after a contact, amount recovered (each
    payment once), the two ratios, and the median days from a customer's
    first contact to its first payment after it. The "over new debts"
    ratios compare with the customers and amount that became overdue in
    the month.
    """
    groups = {}
    for day, channel, partner, claimed in sorted(contacts, key=lambda c: c[0]):
        group = groups.setdefault(
            (month_of(day), channel),
            {"partners": {}, "claimed": {}, "payments": {}, "paid_partners": {}},
        )
        group["partners"].setdefault(partner, day)
        for invoice, amount in claimed.items():
            group["claimed"].setdefault(invoice, amount)
            for pay_id, pay_date, pay_amount in payments.get(invoice, []):
                if day < pay_date <= day + timedelta(days=window_days):
                    group["payments"][pay_id] = pay_amount
                    first = group["paid_partners"].get(partner)
                    if first is None or pay_date < first[1]:
                        group["paid_partners"][partner] = (day, pay_date)
    debts = {}
    for day, partner, amount in new_debts:
        debt = debts.setdefault(month_of(day), {"partners": set(), "amount": 0.0})
        debt["partners"].add(partner)
        debt["amount"] += amount
    table = {}
    for (month, channel), group in groups.items():
        contacted = len(group["partners"])
        claimed = sum(group["claimed"].values())
        paid = len(group["paid_partners"])
        recovered = sum(group["payments"].values())
        debt = debts.get(month, {"partners": set(), "amount": 0.0})
        days = [
            (pay_date - group["partners"][partner]).days
            for partner, (_contact, pay_date) in group["paid_partners"].items()
        ]
        table[(month, channel)] = {
            "contacted": contacted,
            "claimed": claimed,
            "paid": paid,
            "recovered": recovered,
            "paid_ratio": paid / contacted if contacted else 0.0,
            "recovered_ratio": recovered / claimed if claimed else 0.0,
            "new_debt_customers": len(debt["partners"]),
            "new_debt_amount": debt["amount"],
            "paid_over_new": paid / len(debt["partners"]) if debt["partners"] else 0.0,
            "recovered_over_new": recovered / debt["amount"] if debt["amount"] else 0.0,
            "median_days": median(days),
        }
    new_debt_summary = {
        month: {"customers": len(debt["partners"]), "amount": debt["amount"]}
        for month, debt in debts.items()
    }
    return table, new_debt_summary


AGE_BUCKETS = (
    ("not_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)


def age_bucket(days_overdue):
    for name, low, high in AGE_BUCKETS:
        if (low is None or days_overdue >= low) and (high is None or days_overdue <= high):
            return name
    return "over_90"


def dso(receivables, credit_sales, days):
    """Days sales outstanding: receivables over the period's credit sales."""
    return receivables / credit_sales * days if credit_sales else 0.0


def cei(opening, sales, closing, closing_current):
    """Collection effectiveness index (%): collected over collectible."""
    collectible = opening + sales - closing_current
    return (opening + sales - closing) / collectible * 100 if collectible else 0.0
