# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an automated call says, in words a speaker says, and what the keys
and the call's end mean."""

import io
import wave
from datetime import date, datetime

from odoo.tests import BaseCase, tagged

from ..rules import ivr
from ..rules.phone import next_allowed_time, normalize_phone


@tagged("post_install", "-at_install")
class TestIvrSpokenText(BaseCase):
    def test_amounts_in_spanish(self):
        cases = {
            1: "un euro",
            21: "veintiún euros",
            31.01: "treinta y un euros con un céntimo",
            101: "ciento un euros",
            1230.50: "mil doscientos treinta euros con cincuenta céntimos",
            0.50: "cincuenta céntimos",
            1_000_000: "un millón de euros",
            2_000_000.25: "dos millones de euros con veinticinco céntimos",
            21_000: "veintiún mil euros",
        }
        for amount, words in cases.items():
            self.assertEqual(ivr.spoken_amount(amount, "EUR", "es"), words, amount)
        self.assertEqual(ivr.spoken_amount(21, "GBP", "es"), "veintiuna libras")

    def test_amounts_in_english(self):
        cases = {
            1: "one euro",
            1230.50: "one thousand two hundred and thirty euros and fifty cents",
            0.01: "one cent",
            21: "twenty one euros",
        }
        for amount, words in cases.items():
            self.assertEqual(ivr.spoken_amount(amount, "EUR", "en_GB"), words, amount)

    def test_dates_and_counts(self):
        self.assertEqual(
            ivr.spoken_date(date(2026, 12, 5), "es_ES"), "cinco de diciembre de dos mil veintiséis"
        )
        self.assertEqual(
            ivr.spoken_date(date(2026, 5, 21), "es"), "veintiuno de mayo de dos mil veintiséis"
        )
        self.assertEqual(
            ivr.spoken_date(date(2026, 1, 1), "es"), "uno de enero de dos mil veintiséis"
        )
        self.assertEqual(
            ivr.spoken_date(date(2026, 12, 5), "en_US"), "the fifth of December, twenty twenty six"
        )
        self.assertEqual(ivr.spoken_count(1, "es"), "una")
        self.assertEqual(ivr.spoken_count(21, "es"), "veintiuna")
        self.assertEqual(ivr.spoken_count(3, "en"), "three")

    def test_script_says_who_how_much_since_when_how_to_pay_and_the_menu(self):
        script = ivr.script("Suministros Demo SL", 1230.5, "EUR", date(2026, 11, 2), 3, "es_ES")
        self.assertEqual(script.lang, "es")
        self.assertIn("Le llamamos de Suministros Demo SL", script.message)
        self.assertIn("tres facturas vencidas", script.message)
        self.assertIn("mil doscientos treinta euros con cincuenta céntimos", script.message)
        self.assertIn("desde el dos de noviembre de dos mil veintiséis", script.message)
        self.assertIn("transferencia", script.message)
        self.assertNotRegex(script.message, r"\d", "no figure left for the voice to misread")
        for words in ("pulse 1", "pulse 2", "pulse 3", "pulse 9", "siete días"):
            self.assertIn(words, script.menu)
        one = ivr.script("Demo", 10, "EUR", date(2026, 11, 2), 1, "en_GB")
        self.assertIn("one overdue invoice, for ten euros", one.message)
        self.assertIn("press 1", one.menu)
        # A language without a message of its own hears Spanish.
        self.assertEqual(ivr.script("Demo", 10, "EUR", date(2026, 1, 2), 1, "ca_ES").lang, "es")

    def test_what_a_call_means(self):
        self.assertEqual(ivr.call_outcome(True, "1"), "paid")
        self.assertEqual(ivr.call_outcome(True, "92"), "promise", "9 repeats, 2 answers")
        self.assertEqual(ivr.call_outcome(True, "3"), "callback")
        self.assertEqual(ivr.call_outcome(True, ""), "no_key")
        self.assertEqual(ivr.call_outcome(True, "", dropped=True), "dropped")
        self.assertEqual(ivr.call_outcome(False, "", 486), "busy")
        self.assertEqual(ivr.call_outcome(False, "", 487), "no_answer")
        self.assertEqual(ivr.call_outcome(False, "", 603), "rejected")
        self.assertEqual(ivr.call_outcome(False, "", 404), "refused")
        now = datetime(2026, 12, 7, 10, 0)
        self.assertEqual(ivr.retry_at("busy", 1, 3, 30, now), datetime(2026, 12, 7, 10, 30))
        self.assertIsNone(ivr.retry_at("busy", 3, 3, 30, now), "attempts used: the fallback")
        self.assertIsNone(ivr.retry_at("refused", 1, 3, 30, now), "a refused number is no retry")

    def test_numbers_and_greeting(self):
        self.assertEqual(normalize_phone("912 345 678").number, "+34912345678", "landline too")
        self.assertEqual(normalize_phone("600 111 222").number, "+34600111222")
        self.assertEqual(normalize_phone("12").problem, "invalid")
        self.assertEqual(normalize_phone("").problem, "missing")
        # Hours up to 24:00 (the whole day) are allowed by the settings.
        late = datetime(2026, 12, 5, 22, 30)  # 23:30 in Madrid, a Saturday
        self.assertEqual(next_allowed_time(late, "Europe/Madrid", 0.0, 24.0, set(range(7))), late)
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(b"\x00\x01" * 800)
        self.assertTrue(ivr.is_pcm_wav(buffer.getvalue()))
        self.assertFalse(ivr.is_pcm_wav(b"ID3 an mp3 file"))
