# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Phone rules as plain functions: number normalisation and allowed hours,
for SMS and automated calls."""

from collections import namedtuple
from datetime import datetime, time, timedelta

import phonenumbers
import pytz

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}

# number: E.164 or None; problem: None, "missing", "invalid" or "landline"
MobileCheck = namedtuple("MobileCheck", "number problem")


def normalize_mobile(raw, regions=("ES",)):
    """E.164 mobile number from what a user typed, or the problem with it.

    Regions are tried in order (Spain first, then the customer's country);
    a number written with its international prefix ("+34...", "0034...")
    needs none. The first reading that is a valid mobile number wins; a valid
    number that is no mobile is a landline.
    """
    if not raw or not str(raw).strip():
        return MobileCheck(None, "missing")
    landline = False
    for region in regions:
        try:
            parsed = phonenumbers.parse(str(raw), region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(parsed):
            continue
        if phonenumbers.number_type(parsed) in MOBILE_TYPES:
            return MobileCheck(
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None
            )
        landline = True
    return MobileCheck(None, "landline" if landline else "invalid")


# number: E.164 or None; problem: None, "missing" or "invalid"
PhoneCheck = namedtuple("PhoneCheck", "number problem")


def normalize_phone(raw, regions=("ES",)):
    """E.164 number (mobile or landline) from what a user typed, or the
    problem with it; regions are tried in order, as for mobiles."""
    if not raw or not str(raw).strip():
        return PhoneCheck(None, "missing")
    for region in regions:
        try:
            parsed = phonenumbers.parse(str(raw), region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return PhoneCheck(
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None
            )
    return PhoneCheck(None, "invalid")


def parse_weekdays(value):
    """'0,1,2,3,4' (Monday = 0) -> {0, 1, 2, 3, 4}."""
    return {int(day) for day in (value or "").split(",") if day.strip().isdigit()} & set(range(7))


def next_allowed_time(now_utc, tz_name, hour_from, hour_to, weekdays):
    """First moment, from ``now_utc`` on, when an SMS may be sent (naive UTC).

    :param hour_from, hour_to: local hours as floats (9.0 = 09:00, 21.5 = 21:30)
    :param weekdays: set of allowed weekdays, Monday = 0
    """
    tz = pytz.timezone(tz_name or "Europe/Madrid")
    local = pytz.utc.localize(now_utc).astimezone(tz)
    if not weekdays or hour_to <= hour_from:
        return now_utc

    def at(day, hours):
        minutes = round(hours * 60)
        # 24:00 is the end of the day: midnight of the next one.
        naive = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
        return tz.localize(naive)

    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if day.weekday() not in weekdays:
            continue
        start, end = at(day, hour_from), at(day, hour_to)
        if offset == 0 and start <= local < end:
            return now_utc
        candidate = start if offset or local < start else None
        if candidate:
            return candidate.astimezone(pytz.utc).replace(tzinfo=None)
    return now_utc
