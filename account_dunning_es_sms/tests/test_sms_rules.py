# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime

from odoo.tests import TransactionCase, tagged

from ..rules.phone import next_allowed_time, normalize_mobile, parse_weekdays

WEEK = {0, 1, 2, 3, 4}


@tagged("post_install", "-at_install")
class TestSmsRules(TransactionCase):
    def test_spanish_mobile_written_any_way_becomes_e164(self):
        for raw in (
            "612 345 678",
            "+34 612345678",
            "0034612345678",
            "612-34-56-78",
            "+34 (612) 34 56 78",
        ):
            self.assertEqual(normalize_mobile(raw), ("+34612345678", None), raw)

    def test_landline_garbage_and_missing_numbers_are_told_apart(self):
        self.assertEqual(normalize_mobile("912 345 678"), (None, "landline"))
        self.assertEqual(normalize_mobile("no tengo"), (None, "invalid"))
        self.assertEqual(normalize_mobile("12345"), (None, "invalid"))
        self.assertEqual(normalize_mobile(""), (None, "missing"))
        self.assertEqual(normalize_mobile(False), (None, "missing"))

    def test_foreign_numbers_use_the_customer_country_after_spain(self):
        self.assertEqual(normalize_mobile("06 12 34 56 78", ("ES", "FR")), ("+33612345678", None))
        # A Portuguese mobile is a Madrid landline when read as Spanish.
        self.assertEqual(normalize_mobile("912 345 678", ("ES", "PT")), ("+351912345678", None))
        self.assertEqual(normalize_mobile("+44 7911 123456"), ("+447911123456", None))

    def test_quiet_hours_in_madrid_time(self):
        # Monday 2 March 2026; Madrid is UTC+1 in winter.
        def nxt(*args):
            return next_allowed_time(datetime(*args), "Europe/Madrid", 9.0, 21.0, WEEK)

        self.assertEqual(
            nxt(2026, 3, 2, 7, 0), datetime(2026, 3, 2, 8, 0), "08:00 local waits to 09:00"
        )
        self.assertEqual(nxt(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 10, 0), "within hours: now")
        self.assertEqual(
            nxt(2026, 3, 2, 20, 30), datetime(2026, 3, 3, 8, 0), "21:30 local: next morning"
        )
        self.assertEqual(
            nxt(2026, 3, 6, 20, 30), datetime(2026, 3, 9, 8, 0), "Friday night: Monday"
        )
        self.assertEqual(nxt(2026, 3, 7, 12, 0), datetime(2026, 3, 9, 8, 0), "Saturday: Monday")
        # Summer time: UTC+2.
        self.assertEqual(nxt(2026, 7, 6, 6, 0), datetime(2026, 7, 6, 7, 0))

    def test_weekdays_setting(self):
        self.assertEqual(parse_weekdays("0,1,2,3,4"), WEEK)
        self.assertEqual(parse_weekdays("5, 9, x"), {5})
