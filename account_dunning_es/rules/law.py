# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the law gives each kind of debtor, as plain functions.

Who Ley 3/2004 covers, the evidence each way of sending a letter gives, when
a debt may be reported to a credit bureau (LOPDGDD art. 20), and the
late-payment interest and compensation of Ley 3/2004. Each rule cites the
article it applies; the figures cite their BOE source. Nothing here touches
the database.
"""

import csv
from collections import namedtuple
from datetime import date, timedelta

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


# Ley 3/2004, art. 7.2 (BOE-A-2004-21830): "el tipo de interés aplicado por
# el Banco Central Europeo a su más reciente operación principal de
# financiación efectuada antes del primer día del semestre natural de que
# se trate más ocho puntos porcentuales".
LATE_PAYMENT_POINTS = 8.0
# The first semester this product computes (and ships from the BOE).
FIRST_COMPUTED_SEMESTER = date(2022, 7, 1)

# The ECB publishes its key rates on the ECB Data Portal's SDMX 2.1 web
# service (https://data.ecb.europa.eu/help/api/data: entry point
# https://data-api.ecb.europa.eu/service, resource "data", then the dataflow
# and the series key). Series FM.B.U2.EUR.4F.KR.MRR_FR.LEV: dataflow FM
# (financial market data), B (one observation per date of change), U2 (euro
# area), EUR, 4F (ECB), KR (key interest rate), MRR_FR (main refinancing
# operations, fixed rate tenders), LEV (level, % per year). With
# ``format=csvdata`` the answer is CSV with a header line; the columns used
# are KEY, TIME_PERIOD (the date the rate applies from, YYYY-MM-DD) and
# OBS_VALUE (the rate), read by name.
ECB_MRR_SERIES = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
ECB_MRR_URL = (
    "https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV"
    "?format=csvdata&startPeriod=2015-01-01"
)
# A main refinancing rate outside [0, 40) % is no answer to trust.
ECB_RATE_RANGE = (0.0, 40.0)


class EcbAnswerError(ValueError):
    """The ECB's answer cannot be used; ``code`` says why (translated by the
    model), ``detail`` what was seen."""

    def __init__(self, code, detail=""):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


def parse_ecb_rates(text, today):
    """[(date, rate)] of the main refinancing rate from the ECB's CSV answer,
    oldest first.

    :raise EcbAnswerError: "not_csv" (an HTML page, anything but the CSV with
        its columns), "empty" (no observation of the series), "bad_value" (a
        date or rate that does not parse), "out_of_range" (below 0 or 40 %
        and above), "future" (a date after ``today``)
    """
    lines = (text or "").lstrip("\ufeff").splitlines()
    if not lines or lines[0].lstrip().startswith("<"):
        raise EcbAnswerError("not_csv", (text or "")[:80])
    rows = csv.DictReader(lines)
    if not {"KEY", "TIME_PERIOD", "OBS_VALUE"} <= set(rows.fieldnames or ()):
        raise EcbAnswerError("not_csv", lines[0][:80])
    changes = {}
    for row in rows:
        if row["KEY"] != ECB_MRR_SERIES:
            continue
        try:
            day = date.fromisoformat(row["TIME_PERIOD"].strip())
            rate = float(row["OBS_VALUE"])
        except (TypeError, ValueError) as error:
            raise EcbAnswerError("bad_value", f"{row['TIME_PERIOD']} {row['OBS_VALUE']}") from error
        if not ECB_RATE_RANGE[0] <= rate < ECB_RATE_RANGE[1]:
            raise EcbAnswerError("out_of_range", f"{day} {rate}")
        if day > today:
            raise EcbAnswerError("future", f"{day} {rate}")
        changes[day] = rate
    if not changes:
        raise EcbAnswerError("empty")
    return sorted(changes.items())


def ecb_rate_before(changes, first_day):
    """(date, rate) of the last change of the main refinancing rate in
    effect before ``first_day`` (Ley 3/2004 art. 7.2: the most recent
    operation before the semester's first day), or None."""
    before = [(day, rate) for day, rate in changes if day < first_day]
    return before[-1] if before else None


LatePaymentSemester = namedtuple("LatePaymentSemester", "start end ecb_date ecb_rate rate")


def late_payment_semesters(changes, today, first=FIRST_COMPUTED_SEMESTER):
    """Every semester from ``first`` to today's, and the next when its rate
    is known (today is the last day before it: no operation can come
    between), each with its rate by Ley 3/2004 art. 7.2.

    :param changes: [(date, rate)] of the ECB's main refinancing rate
    :return: [LatePaymentSemester]
    """
    result = []
    start = first
    while True:
        semester_start, semester_end = semester_of(start)
        if semester_start > today + timedelta(days=1):
            break
        basis = ecb_rate_before(changes, semester_start)
        if basis:
            ecb_date, ecb_rate = basis
            result.append(
                LatePaymentSemester(
                    semester_start,
                    semester_end,
                    ecb_date,
                    ecb_rate,
                    round(ecb_rate + LATE_PAYMENT_POINTS, 2),
                )
            )
        start = semester_end + timedelta(days=1)
    return result


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


def amounts_to_pay(totals, compensation, compensation_currency):
    """What a letter asks for, per currency: [(currency, amount)].

    :param totals: [(currency, {"residual", "interest"})] of the invoices, the
        interest already left out (0) where it is not claimed
    :param compensation: the 40 EUR per invoice claimed (Ley 3/2004 art. 8),
        in ``compensation_currency`` (the company's), 0 when not claimed
    :return: each currency's amount due plus its interest, the compensation
        added to the total of its own currency, or a total of its own when no
        invoice is in that currency
    """
    result = [(currency, values["residual"] + values["interest"]) for currency, values in totals]
    if compensation:
        for index, (currency, amount) in enumerate(result):
            if currency == compensation_currency:
                result[index] = (currency, amount + compensation)
                break
        else:
            result.append((compensation_currency, compensation))
    return result


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
