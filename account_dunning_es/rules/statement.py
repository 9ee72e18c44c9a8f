# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Rules of the customer's statement page, free of the ORM: what a proof of
payment is, what a plan still asks for, which language a visitor reads, how
its amounts print and how long a customer waits for an invoice's PDF."""

import ast
import io
import math
import threading
from collections import defaultdict, deque, namedtuple

from markupsafe import Markup
from PIL import Image
from werkzeug.exceptions import NotFound, TooManyRequests

from odoo.addons.base.models.res_lang import intersperse
from odoo.tools.float_utils import float_round
from odoo.tools.pdf import PdfFileReader

# What a customer may upload as proof of payment, known by its content.
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
PROOF_MAX_BYTES = 5 * 1024 * 1024
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))


def proof_mimetype(content):
    """The type of a proof of payment read from its bytes, or None.

    Neither the name nor the type the browser declares count: the file must
    start with the signature of a PDF, PNG or JPEG and parse as one (a PDF
    with at least one page; an image that Pillow verifies).
    """
    if not content:
        return None
    kind = next((kind for magic, kind in _SIGNATURES if content.startswith(magic)), None)
    if kind == PDF:
        try:
            return PDF if len(PdfFileReader(io.BytesIO(content)).pages) else None
        except Exception:  # pylint: disable=broad-except
            # pypdf raises many kinds of errors on a damaged file.
            return None
    if kind in (PNG, JPEG):
        try:
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
                if Image.MIME.get(image.format) != kind:
                    return None
        except Exception:  # pylint: disable=broad-except
            # Pillow raises many kinds of errors on a damaged image.
            return None
        return kind
    return None


class LinkNotValid(NotFound):
    """A statement link that opens no customer: ``ir.http._handle_error``
    answers it with a page of its own, not Odoo's 404 that offers to log in."""


class TooManyGuesses(TooManyRequests):
    """An address that tried too many wrong statement links: answered 429
    until its window passes (``ir.http._handle_error``)."""

    def __init__(self, retry_after):
        super().__init__()
        self.retry_after = retry_after


class GuessLimiter:
    """Wrong statement tokens per address, in a sliding window.

    A token is 16 characters drawn from 64 (96 bits): guessing one is hopeless,
    but each guess costs a lookup. After ``limit`` wrong tokens within
    ``window`` seconds an address gets 429 for every statement link until its
    oldest guess leaves the window; other addresses are not affected. The
    count lives in the process (each worker of a prefork server counts its
    own, so an address gets at most ``limit`` x workers guesses a window):
    abuse writes nothing to the database.
    """

    def __init__(self, limit=20, window=600, addresses=10000):
        self.limit, self.window, self.addresses = limit, window, addresses
        self._wrong = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, address, now):
        guesses = self._wrong.get(address)
        while guesses and guesses[0] <= now - self.window:
            guesses.popleft()
        if guesses is not None and not guesses:
            del self._wrong[address]
        return guesses or ()

    def retry_after(self, address, now):
        """Seconds the address must wait, or 0 when it may ask."""
        with self._lock:
            guesses = self._trim(address, now)
            if len(guesses) < self.limit:
                return 0
            return max(int(guesses[0] + self.window - now) + 1, 1)

    def wrong(self, address, now):
        """Count a wrong token; True when this one reaches the limit."""
        with self._lock:
            if address not in self._wrong and len(self._wrong) >= self.addresses:
                # Bounded memory: forget the addresses whose last guess is oldest.
                stale = sorted(self._wrong, key=lambda a: self._wrong[a][-1])
                for old in stale[: len(stale) // 10 or 1]:
                    del self._wrong[old]
            self._trim(address, now)
            self._wrong[address].append(now)
            return len(self._wrong[address]) == self.limit

    def reset(self):
        with self._lock:
            self._wrong.clear()


# One per process: the statement controller's.
STATEMENT_GUESSES = GuessLimiter()


PlanLine = namedtuple("PlanLine", "date amount paid left state")


def plan_schedule(instalments, still_owed, tolerance=0.005):
    """A plan's instalments as they stand against what is still owed.

    What the covered invoices no longer owe counts as paid, oldest instalment
    first; what is left is due on the later ones.

    :param instalments: [(date, amount)]
    :param still_owed: what the plan's invoices still owe today
    :return: (lines, settled): PlanLine(date, amount, paid, left, state) with
        state "paid", "partial" or "pending"; settled when nothing is owed
    """
    ordered = sorted(instalments)
    total = sum(amount for _day, amount in ordered)
    paid = max(total - max(still_owed, 0.0), 0.0)
    lines = []
    for day, amount in ordered:
        share = min(paid, amount)
        paid -= share
        left = amount - share
        state = "paid" if left <= tolerance else "partial" if share > tolerance else "pending"
        lines.append(PlanLine(day, amount, share, 0.0 if state == "paid" else left, state))
    return lines, still_owed <= tolerance


def best_language(accepted, installed, default):
    """The installed language a visitor's browser prefers.

    :param accepted: the browser's languages, best first ("es-ES", "es", "en")
    :param installed: installed language codes ("es_ES", "en_US")
    :param default: when none of them is installed
    """
    by_code = {code.lower(): code for code in installed}
    for accepted_tag in accepted:
        tag = (accepted_tag or "").replace("-", "_").lower()
        if tag in by_code:
            return by_code[tag]
        primary = tag.split("_")[0]
        same = sorted(code for code in installed if code.lower().split("_")[0] == primary)
        if same:
            # "es" reads Spain's Spanish where it is installed (es_ES).
            return by_code.get(f"{primary}_{primary}", same[0])
    return default


class PageAmounts:
    """Amounts as Odoo's monetary widget prints them (the language's
    grouping and separators, the currency's decimals, symbol and position),
    with the language read once per page.

    The statement printed five amounts or dates per invoice through QWeb's
    widgets, each reading the language again (and parsing its grouping): 40 %
    of a 20-invoice page's time. ``lang`` is Odoo's ``LangData`` (``grouping``,
    ``thousands_sep``, ``decimal_point``); currencies are read for
    ``decimal_places``, ``rounding``, ``symbol`` and ``position``.
    """

    def __init__(self, lang):
        self._grouping = ast.literal_eval(lang.grouping)
        self._thousands = lang.thousands_sep or ""
        self._decimal = lang.decimal_point
        self._done = {}

    def number(self, value, decimals):
        """The number as the language writes it (``res.lang.format``)."""
        text = f"{value:.{decimals}f}"
        integer, _dot, fraction = text.partition(".")
        integer = intersperse(integer, self._grouping, self._thousands)[0]
        return self._decimal.join([integer, fraction]) if _dot else integer

    def __call__(self, value, currency):
        key = (value, currency.id)
        if key not in self._done:
            rounded = float_round(value, precision_rounding=currency.rounding)
            number = (
                self.number(rounded, currency.decimal_places)
                .replace(" ", "\N{NO-BREAK SPACE}")
                .replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
            )
            symbol = currency.symbol or ""
            pre = f"{symbol}\N{NO-BREAK SPACE}" if currency.position == "before" else ""
            post = "" if currency.position == "before" else f"\N{NO-BREAK SPACE}{symbol}"
            self._done[key] = Markup('{}<span class="oe_currency_value">{}</span>{}').format(
                pre, number, post
            )
        return self._done[key]


# Seconds wkhtmltopdf takes for one invoice's PDF, rendered alone (measured
# 2026-12-05 with Debian's wkhtmltopdf 0.12.6 on the project's machine:
# 1.15 s each, twenty in a row, idle).
PDF_SECONDS = 1.2


def pdf_wait_seconds(place, least=3, most=60):
    """Seconds before the waiting page asks again for a PDF that is
    ``place``-th in the queue: no sooner than it can be ready (polling a
    long queue every 3 s only adds requests to a busy server), within
    [least, most]."""
    return max(least, min(most, math.ceil(place * PDF_SECONDS)))
