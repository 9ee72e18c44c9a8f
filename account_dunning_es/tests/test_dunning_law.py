# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Spanish late-payment law on real records (issue 14)."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import TransactionCase, new_test_user, tagged

from ..models import dunning_rules as rules
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestLateInterestRules(TransactionCase):
    """The interest rule against hand computations, without a database."""

    # Shipped rates (data/dunning_interest_rate_data.xml, with their BOE source).
    SHIPPED = [
        (date(2025, 7, 1), date(2025, 12, 31), 10.15),
        (date(2026, 1, 1), date(2026, 6, 30), 10.15),
    ]

    def test_semesters_of_ley_3_2004_art_7(self):
        self.assertEqual(rules.semester_of(date(2026, 3, 2)), (date(2026, 1, 1), date(2026, 6, 30)))
        self.assertEqual(rules.semester_of(date(2026, 7, 1)), (date(2026, 7, 1), date(2026, 12, 31)))
        self.assertTrue(rules.rate_covers(self.SHIPPED, date(2026, 6, 30)))
        self.assertFalse(rules.rate_covers(self.SHIPPED, date(2026, 7, 1)))

    def test_interest_across_2025_h2_2026_h1_and_a_2026_h2_without_rate(self):
        # 1,000.00 due 2025-12-01, letter of 2026-07-10:
        # 2025-12-02..12-31: 30 days at 10.15 % = 1000 x 0.1015 x 30 / 365 = 8.342466
        # 2026-01-01..06-30: 181 days at 10.15 % = 1000 x 0.1015 x 181 / 365 = 50.332877
        # 2026-07-01..07-10: 10 days, no rate recorded: stated, never invented.
        periods, missing = rules.late_payment_interest(
            1000.0, date(2025, 12, 1), date(2026, 7, 10), self.SHIPPED
        )
        self.assertEqual([(p.days, p.rate) for p in periods], [(30, 10.15), (181, 10.15)])
        self.assertAlmostEqual(periods[0].interest, 8.342466, places=5)
        self.assertAlmostEqual(periods[1].interest, 50.332877, places=5)
        self.assertEqual(
            [(m.date_start, m.date_end, m.days) for m in missing],
            [(date(2026, 7, 1), date(2026, 7, 10), 10)],
        )
        # Once a 2nd-semester rate is recorded (9.00 %: a test value), it is used
        # from 1 July: 1000 x 0.09 x 10 / 365 = 2.465753.
        periods, missing = rules.late_payment_interest(
            1000.0, date(2025, 12, 1), date(2026, 7, 10),
            [*self.SHIPPED, (date(2026, 7, 1), date(2026, 12, 31), 9.00)],
        )
        self.assertFalse(missing)
        self.assertAlmostEqual(periods[-1].interest, 2.465753, places=5)
        self.assertEqual(round(sum(p.interest for p in periods), 2), 61.14)


@tagged("post_install", "-at_install")
class TestDunningLaw(DunningCommon):
    def test_a_2026_debt_gets_interest_at_the_2026_rate(self):
        invoice = self._invoice(self.customer, 1000.0, date(2025, 12, 1))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()  # 2026-03-02: the first letter
        letter = self._comms(self.customer, channel="letter")
        values = self.env["report.account_dunning_es.report_dunning_letter"]._letters(letter)[letter.id]
        row = values["rows"][0]
        self.assertFalse(row["missing"], "2026 H1 has its rate (BOE-A-2025-27201)")
        self.assertEqual(
            [(p.date_start, p.days, p.rate) for p in row["periods"]],
            [(date(2025, 12, 2), 30, 10.15), (date(2026, 1, 1), 61, 10.15)],
        )
        # 1000 x 10.15 % x (30 + 61) / 365 = 25.31
        self.assertEqual(row["interest"], 25.31)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "account_dunning_es.action_report_dunning_letter", letter.ids
        )[0].decode()
        self.assertNotIn("No legal rate published", html)

    def test_a_semester_without_rate_tells_the_dunning_manager_once(self):
        boss = new_test_user(
            self.env, login="jefa.tipos", name="Julia Tipos",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
            company_id=self.company.id, company_ids=self.company.ids,
        )
        self.company.dunning_manager_id = boss
        Run = self.env["dunning.run"]
        partner = self.company.partner_id

        def notices():
            return partner.activity_ids.filtered(lambda a: "late-payment rate" in (a.summary or ""))

        with freeze_time("2026-05-04"):
            Run._daily_preparation(self.company, date(2026, 5, 4))
        self.assertFalse(notices(), "1st semester 2026 has its rate")
        for day in (date(2026, 7, 1), date(2026, 7, 2), date(2026, 8, 3)):
            with freeze_time(day):
                Run._daily_preparation(self.company, day)
        notice = notices()
        self.assertEqual(len(notice), 1, "one notice for the semester, not one a day")
        self.assertEqual(notice.user_id, boss)
        self.assertEqual(notice.summary, "Add the late-payment rate of the 2nd semester 2026")
        self.assertIn("Secretaría General del Tesoro", notice.note)
        self.assertIn("Late-Payment Rates", notice.note)
        # Recorded: no further notice this semester.
        self.env["dunning.interest.rate"].create(
            {"date_start": date(2026, 7, 1), "date_end": date(2026, 12, 31), "rate": 9.0,
             "reference": "test value"}
        )
        notice.action_done()
        with freeze_time("2026-09-01"):
            Run._daily_preparation(self.company, date(2026, 9, 1))
        self.assertFalse(notices())
