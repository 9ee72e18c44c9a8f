# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The effectiveness figures of the contacts, as plain functions: who paid
after which contact, the ageing, DSO and CEI. Nothing here touches the
database."""

from datetime import timedelta


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
    :param new_debts: {month: {"customers": n, "amount": x}}: the
        customers and the amount that fell overdue in each month
    :param window_days: a payment counts when it comes at most this many
        days after the contact, and strictly after it
    :return: {(month, channel): figures}

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
    table = {}
    for (month, channel), group in groups.items():
        contacted = len(group["partners"])
        claimed = sum(group["claimed"].values())
        paid = len(group["paid_partners"])
        recovered = sum(group["payments"].values())
        debt = new_debts.get(month, {"customers": 0, "amount": 0.0})
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
            "new_debt_customers": debt["customers"],
            "new_debt_amount": debt["amount"],
            "paid_over_new": paid / debt["customers"] if debt["customers"] else 0.0,
            "recovered_over_new": recovered / debt["amount"] if debt["amount"] else 0.0,
            "median_days": median(days),
        }
    return table


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
