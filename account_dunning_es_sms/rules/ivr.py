# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an automated call says and what the customer's answer means.

Plain functions, no ORM. The words are the ones a speaker says: a voice
synthesiser reads "1.230,50 €" digit by digit or as a date, so amounts,
dates and counts are written out in words here (numbers by num2words, which
Odoo already uses for amounts in words; the currency, gender and apocope by
these rules, tested).
"""

import io
import re
import wave
from collections import namedtuple
from datetime import timedelta

from num2words import num2words

# What each key does (the menu the customer hears says the same).
KEY_PAID = "1"
KEY_PROMISE = "2"
KEY_PERSON = "3"
KEY_REPEAT = "9"
ANSWER_KEYS = (KEY_PAID, KEY_PROMISE, KEY_PERSON)
OUTCOME_OF_KEY = {KEY_PAID: "paid", KEY_PROMISE: "promise", KEY_PERSON: "callback"}
# Days a promise made with key 2 gives the customer (the menu says so).
PROMISE_DAYS = 7

# Call results after which the call is tried again, then the stage's fallback.
RETRY_RESULTS = ("no_key", "busy", "no_answer", "rejected", "dropped")

# The languages the message is written in; others hear Spanish first.
LANGUAGES = ("es", "en")

MONTHS = {
    "es": (
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}

CURRENCY_WORDS = {
    # code: {lang: (singular, plural, cent singular, cent plural)}
    "EUR": {
        "es": ("euro", "euros", "céntimo", "céntimos"),
        "en": ("euro", "euros", "cent", "cents"),
    },
    "USD": {
        "es": ("dólar", "dólares", "centavo", "centavos"),
        "en": ("dollar", "dollars", "cent", "cents"),
    },
    "GBP": {
        "es": ("libra", "libras", "penique", "peniques"),
        "en": ("pound", "pounds", "penny", "pence"),
    },
}
# Feminine currency names in Spanish ("una libra", "veintiuna libras").
FEMININE = {"GBP"}

TEXTS = {
    "es": {
        "intro": "Hola. Le llamamos de {company}, en relación con su cuenta de cliente.",
        "one": "Tiene una factura vencida, por un importe de {amount}, vencida desde el {since}.",
        "many": (
            "Tiene {count} facturas vencidas, por un importe total de {amount}; "
            "la más antigua, vencida desde el {since}."
        ),
        "pay": (
            "Puede pagar por transferencia bancaria, indicando la referencia de cada factura, "
            "o en línea desde el enlace de su estado de cuenta que le hemos enviado."
        ),
        "menu": (
            "Si ya ha pagado, pulse 1. Para comprometerse a pagar en los próximos {days} días, "
            "pulse 2. Para hablar con una persona, pulse 3. Para volver a escuchar este "
            "mensaje, pulse 9."
        ),
        "thanks": "Gracias. Hemos tomado nota. Adiós.",
    },
    "en": {
        "intro": "Hello. This is {company}, calling about your customer account.",
        "one": "You have one overdue invoice, for {amount}, overdue since {since}.",
        "many": (
            "You have {count} overdue invoices, for a total of {amount}; the oldest has been "
            "overdue since {since}."
        ),
        "pay": (
            "You can pay by bank transfer, quoting the reference of each invoice, or online "
            "from the link to your account statement that we sent you."
        ),
        "menu": (
            "If you have already paid, press 1. To promise payment within the next {days} "
            "days, press 2. To speak to someone, press 3. To hear this message again, press 9."
        ),
        "thanks": "Thank you. We have taken note. Goodbye.",
    },
}

Script = namedtuple("Script", "lang message menu thanks")


def language(lang_code):
    """The message's language for a customer's language code ("es_ES")."""
    short = (lang_code or "es").split("_")[0].lower()
    return short if short in LANGUAGES else "es"


def _spanish_apocope(words, feminine=False):
    """'uno' before a noun: 'un euro', 'veintiún euros', 'una libra'."""
    if feminine:
        if words.endswith("veintiuno"):
            return words[: -len("veintiuno")] + "veintiuna"
        return words[:-3] + "una" if words.endswith("uno") else words
    if words.endswith("veintiuno"):
        return words[: -len("veintiuno")] + "veintiún"
    return words[:-3] + "un" if words.endswith("uno") else words


def cardinal(number, lang, feminine=False, before_noun=True):
    """A whole number in words ("mil doscientos treinta")."""
    words = num2words(int(number), lang=lang).replace(",", "").replace("-", " ")
    if lang == "es":
        words = words.replace("veinti uno", "veintiuno")
        # Before "mil" and "millón" too: "veintiún mil", "treinta y un millones".
        words = re.sub(r"\bveintiuno(?= mil)", "veintiún", words)
        words = re.sub(r"\buno(?= mil)", "un", words)
        if before_noun:
            words = _spanish_apocope(words, feminine)
    return words


def spoken_amount(amount, currency="EUR", lang="es"):
    """An amount as a speaker says it.

    >>> spoken_amount(1230.50, "EUR", "es")
    'mil doscientos treinta euros con cincuenta céntimos'
    """
    lang = language(lang)
    cents_total = round(abs(amount) * 100)
    units, cents = divmod(cents_total, 100)
    one, many, cent_one, cent_many = CURRENCY_WORDS.get(currency, CURRENCY_WORDS["EUR"])[lang]
    feminine = currency in FEMININE
    if lang == "es":
        unit_words = cardinal(units, "es", feminine)
        # "un millón de euros", "dos millones de euros"
        if units and units % 1_000_000 == 0:
            unit_words += " de"
        cent_words = f"{cardinal(cents, 'es')} {cent_one if cents == 1 else cent_many}"
        if not units and cents:
            return cent_words
        text = f"{unit_words} {one if units == 1 else many}"
        return f"{text} con {cent_words}" if cents else text
    cent_words = f"{cardinal(cents, 'en')} {cent_one if cents == 1 else cent_many}"
    if not units and cents:
        return cent_words
    text = f"{cardinal(units, 'en')} {one if units == 1 else many}"
    return f"{text} and {cent_words}" if cents else text


def spoken_date(day, lang="es"):
    """A date as a speaker says it: 'cinco de diciembre de dos mil veintiséis',
    'the fifth of December, two thousand and twenty-six'."""
    lang = language(lang)
    month = MONTHS[lang][day.month - 1]
    if lang == "es":
        day_words = "uno" if day.day == 1 else cardinal(day.day, "es", before_noun=False)
        return f"{day_words} de {month} de {cardinal(day.year, 'es', before_noun=False)}"
    ordinal = num2words(day.day, lang="en", to="ordinal").replace("-", " ")
    year = num2words(day.year, lang="en", to="year").replace("-", " ")
    return f"the {ordinal} of {month}, {year}"


def spoken_count(count, lang="es"):
    """How many invoices, in words (invoices are feminine in Spanish)."""
    lang = language(lang)
    return cardinal(count, lang, feminine=True) if lang == "es" else cardinal(count, lang)


def script(company, amount, currency, since, count, lang="es"):
    """What the customer hears: the message, the menu, the thanks.

    :param amount: what the invoices still owe, in their currency
    :param since: the due date of the oldest invoice
    :param count: how many invoices
    """
    lang = language(lang)
    texts = TEXTS[lang]
    values = {
        "company": company,
        "amount": spoken_amount(amount, currency, lang),
        "since": spoken_date(since, lang),
        "count": spoken_count(count, lang),
        "days": cardinal(PROMISE_DAYS, lang, before_noun=False),
    }
    body = " ".join((texts["intro"], texts["one" if count == 1 else "many"], texts["pay"])).format(
        **values
    )
    return Script(lang, body, texts["menu"].format(**values), texts["thanks"])


def call_outcome(answered, keys, sip_code=None, dropped=False):
    """What a call's result means for the reminder.

    :param answered: the customer picked up
    :param keys: the keys pressed, in order ('9' repeats the message)
    :param sip_code: the final SIP status of an unanswered call
    :param dropped: the call ended before the message and the menu were heard
    :return: paid, promise, callback (a key), no_key, dropped, busy,
        no_answer, rejected or refused (a number the PBX does not take)
    """
    if answered:
        for key in keys:
            if key in OUTCOME_OF_KEY:
                return OUTCOME_OF_KEY[key]
        return "dropped" if dropped else "no_key"
    if sip_code in (486, 600):
        return "busy"
    if sip_code in (408, 480, 487) or sip_code is None:
        return "no_answer"
    if sip_code in (603,):
        return "rejected"
    return "refused"


def retry_at(outcome, attempts, max_attempts, minutes_between, now):
    """When to call again, or None when the stage's fallback takes over.

    :param attempts: calls made so far, this one included
    """
    if outcome not in RETRY_RESULTS or attempts >= max(max_attempts, 1):
        return None
    return now + timedelta(minutes=max(minutes_between, 1))


def is_pcm_wav(data):
    """Whether these bytes are a WAV file of 16-bit mono PCM sound."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            return wav.getsampwidth() == 2 and wav.getnchannels() == 1 and wav.getnframes() > 0
    except (wave.Error, EOFError):
        return False
