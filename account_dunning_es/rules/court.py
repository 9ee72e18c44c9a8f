# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The road from the last demand to court, as plain functions.

Sources (BOE):
- Ley Orgánica 1/2025, de 2 de enero, de medidas en materia de eficiencia del
  Servicio Público de Justicia (BOE-A-2025-76): a civil claim, the monitorio
  included, is admitted only after an attempt to settle through a "medio
  adecuado de solución de controversias" (MASC, art. 5); public-sector
  entities are outside it.
- Ley 1/2000, de Enjuiciamiento Civil (BOE-A-2000-323), arts. 812-818: the
  procedimiento monitorio.

Nothing here touches the database.
"""

from collections import namedtuple
from datetime import timedelta

from odoo.tools.float_utils import float_round

from .law import DELIVERY_PROOF, proven_receipt

# The two forms of the attempt the product prepares:
# - "invitation": a request to negotiate directly (LO 1/2025 arts. 5 and 10);
# - "offer": a binding confidential offer (oferta vinculante confidencial,
#   art. 17): accepted, it binds both parties; confidential, it is a document
#   of its own, never part of a demand letter.
MASC_FORMS = [
    ("invitation", "Invitation to Negotiate"),
    ("offer", "Binding Confidential Offer"),
]
OFFER_KINDS = [
    ("waive_interest", "Principal Now, Interest and Compensation Waived"),
    ("plan", "Payment Plan of the Principal"),
]
OUTCOMES = [
    ("pending", "Waiting for an Answer"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("counter_offer", "Counter-offer"),
    ("no_answer", "No Answer"),
]
NO_AGREEMENT = ("pending", "rejected", "counter_offer", "no_answer")

# LO 1/2025, art. 10: without a neutral third party, the attempt is proven by
# a document that shows the other party received the request or the offer, on
# which date, and could read all of it. Only ways of sending that prove
# sending and receipt count (burofax with content certification, a qualified
# certified email, certified post with acknowledgement); ordinary post, plain
# email, SMS and messaging apps prove none of it (courts' guidelines of 2025).
MASC_METHODS = ("burofax", "certified_email", "certified")
assert all({"sending", "receipt"} <= DELIVERY_PROOF[m] for m in MASC_METHODS)

# LO 1/2025, art. 7: the attempt counts as made, without agreement, when the
# party that received the request gives no written answer within thirty
# calendar days of its receipt.
MASC_ANSWER_DAYS = 30
# LO 1/2025, art. 17: an offer not accepted within one month, or the longer
# period it sets, leaves the way to court open. Thirty days are the shortest
# period the product lets a policy set.
OFFER_MIN_ACCEPTANCE_DAYS = 30
# LO 1/2025, art. 6: a binding offer is made with a lawyer's assistance, unless
# the amount is 2,000 EUR or less; in court, LEC arts. 23.2.1 and 31.2.1 ask
# for a lawyer and a court representative above the same amount (the
# debtor's opposition to a monitorio, LEC art. 818). Arts. 6, 7, 10 and 17
# as commentaries of 2025 quote them (lex.ahk.es, mmmm.es, mnprogram.com):
# the BOE text of LO 1/2025 was not in the search store.
LAWYER_THRESHOLD_EUR = 2000.0


def masc_method_allowed(method):
    """Whether a way of sending can prove a negotiation attempt (art. 10)."""
    return method in MASC_METHODS


def masc_window_end(receipt_date, form, acceptance_days=0):
    """Last day of the negotiation window, or None before receipt is proven.

    Thirty calendar days from the receipt (art. 7), or the offer's
    acceptance period when longer (art. 17), whichever ends later.
    """
    if not receipt_date:
        return None
    days = MASC_ANSWER_DAYS
    if form == "offer":
        days = max(days, acceptance_days or 0, OFFER_MIN_ACCEPTANCE_DAYS)
    return receipt_date + timedelta(days=days)


MascCheck = namedtuple("MascCheck", "allowed reason")


def masc_allows_handover(attempts, today):
    """Whether an invoice may be handed over for legal action today.

    :param attempts: [(method, delivery outcome, receipt date, window end,
        outcome)] of the negotiation attempts that covered the invoice
    :return: MascCheck(allowed, reason): reason is "no_attempt",
        "not_received" (no proven receipt yet), "window_open" (the window
        ends on or after today: the hand-over comes the day after it),
        "agreed" (an accepted attempt ends the claim), or None when allowed.
    """
    if not attempts:
        return MascCheck(False, "no_attempt")
    if any(outcome == "accepted" for *_rest, outcome in attempts):
        return MascCheck(False, "agreed")
    received = [
        window_end
        for method, delivery, receipt, window_end, _outcome in attempts
        if masc_method_allowed(method) and proven_receipt(method, delivery, receipt) and window_end
    ]
    if not received:
        return MascCheck(False, "not_received")
    if today <= min(received):
        return MascCheck(False, "window_open")
    return MascCheck(True, None)


def needs_lawyer(amount_eur, threshold=LAWYER_THRESHOLD_EUR):
    """A claim above 2,000 EUR needs a lawyer (see LAWYER_THRESHOLD_EUR)."""
    return amount_eur > threshold


def split_instalments(amount, count, first_date, interval_days=30, rounding=0.01):
    """[(date, amount)] of ``count`` instalments, the last one taking the cents.

    Amounts are rounded as the currency rounds them (``rounding``: its
    smallest unit), so that they add up to ``amount``.
    """
    count = max(int(count or 1), 1)
    share = float_round(amount / count, precision_rounding=rounding)
    last = float_round(amount - share * (count - 1), precision_rounding=rounding)
    amounts = [share] * (count - 1) + [last]
    return [
        (first_date + timedelta(days=interval_days * index), value)
        for index, value in enumerate(amounts)
    ]


def competent_court(city, province):
    """The court of a monitorio: the debtor's domicile (LEC art. 813).

    Since LO 1/2025 the first-instance courts of a judicial district form
    one "Tribunal de Instancia" with a civil section; the petition names the
    place, which decides the district.
    """
    place = city or ""
    # "Bizkaia (Vizcaya)": the first name is enough in a heading.
    province = (province or "").split(" (")[0]
    if province and province != city:
        place = f"{place} ({province})" if place else province
    return place


# What a demand letter proves before a court, from what is recorded of its
# sending. A petition may state only what these prove (LEC art. 812: the
# documents are the evidence of the debt and of the demands).
# - "not_sent": no sending recorded (still among the letters to post): it
#   demanded nothing of the debtor and is left out of the pack;
# - "no_proof": sent, but its way of sending or its outcome proves no
#   receipt (ordinary post, plain email, returned, refused...);
# - "no_certificate": receipt proven by the way of sending, but the
#   operator's certificate is not attached;
# - "proven": receipt proven and its certificate attached.
LETTER_EVIDENCE = ("not_sent", "no_proof", "no_certificate", "proven")


def letter_evidence(method, outcome, receipt_date, has_certificate):
    """What a letter's recorded sending proves (one of LETTER_EVIDENCE)."""
    if not method:
        return "not_sent"
    if not proven_receipt(method, outcome, receipt_date):
        return "no_proof"
    return "proven" if has_certificate else "no_certificate"
