# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Spanish late-payment law on real records."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..rules import law as law_rules
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
        self.assertEqual(
            law_rules.semester_of(date(2026, 3, 2)), (date(2026, 1, 1), date(2026, 6, 30))
        )
        self.assertEqual(
            law_rules.semester_of(date(2026, 7, 1)), (date(2026, 7, 1), date(2026, 12, 31))
        )
        self.assertTrue(law_rules.rate_covers(self.SHIPPED, date(2026, 6, 30)))
        self.assertFalse(law_rules.rate_covers(self.SHIPPED, date(2026, 7, 1)))

    def test_interest_across_2025_h2_2026_h1_and_a_2026_h2_without_rate(self):
        # 1,000.00 due 2025-12-01, letter of 2026-07-10:
        # 2025-12-02..12-31: 30 days at 10.15 % = 1000 x 0.1015 x 30 / 365 = 8.342466
        # 2026-01-01..06-30: 181 days at 10.15 % = 1000 x 0.1015 x 181 / 365 = 50.332877
        # 2026-07-01..07-10: 10 days, no rate recorded: stated, never invented.
        periods, missing = law_rules.late_payment_interest(
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
        periods, missing = law_rules.late_payment_interest(
            1000.0,
            date(2025, 12, 1),
            date(2026, 7, 10),
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
        values = self.env["report.account_dunning_es.report_dunning_letter"]._letters(letter)[
            letter.id
        ]
        row = values["rows"][0]
        self.assertFalse(row["missing"], "2026 H1 has its rate (BOE-A-2025-27201)")
        self.assertEqual(
            [(p.date_start, p.days, p.rate) for p in row["periods"]],
            [(date(2025, 12, 2), 30, 10.15), (date(2026, 1, 1), 61, 10.15)],
        )
        # 1000 x 10.15 % x (30 + 61) / 365 = 25.31
        self.assertEqual(row["interest"], 25.31)
        html = self._report_html("account_dunning_es.action_report_dunning_letter", letter)
        self.assertNotIn("No legal rate published", html)

    def test_rates_are_never_added_up_in_a_grouped_list(self):
        groups = self.env["dunning.interest.rate"].read_group([], ["rate"], ["kind"])
        self.assertTrue(groups)
        self.assertFalse([g for g in groups if "rate" in g], "a sum of rates means nothing")

    def test_a_semester_without_rate_tells_the_dunning_manager_once(self):
        boss = new_test_user(
            self.env,
            login="jefa.tipos",
            name="Julia Tipos",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
            company_id=self.company.id,
            company_ids=self.company.ids,
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
        self.assertIn("Interest Rates", notice.note)
        # Recorded: no further notice this semester.
        self.env["dunning.interest.rate"].create(
            {
                "date_start": date(2026, 7, 1),
                "date_end": date(2026, 12, 31),
                "rate": 9.0,
                "reference": "test value",
            }
        )
        notice.action_done()
        with freeze_time("2026-09-01"):
            Run._daily_preparation(self.company, date(2026, 9, 1))
        self.assertFalse(notices())


@tagged("post_install", "-at_install")
class TestBureauRules(TransactionCase):
    """LOPDGDD art. 20.1, without a database."""

    today = date(2026, 3, 2)
    burofax = ("DUN/1", "burofax", "delivered", date(2026, 2, 10))

    def check(self, debts, notices=None, regime="business"):
        return law_rules.bureau_eligibility(
            regime, [self.burofax] if notices is None else notices, debts, self.today
        )

    def test_proven_notice_and_undisputed_debt_are_reportable_from_receipt(self):
        result = self.check([(date(2025, 12, 1), 300.0, False), (date(2026, 1, 10), 200.0, True)])
        self.assertEqual(
            result, law_rules.BureauEligibility(True, date(2026, 2, 10), 300.0, None, "DUN/1")
        )

    def test_never_under_50_eur_of_principal(self):
        self.assertEqual(self.check([(date(2025, 12, 1), 40.0, False)]).reason, "under_minimum")

    def test_never_a_disputed_debt(self):
        self.assertEqual(self.check([(date(2025, 12, 1), 900.0, True)]).reason, "disputed")

    def test_never_more_than_five_years_after_the_due_date(self):
        self.assertEqual(self.check([(date(2021, 3, 1), 900.0, False)]).reason, "too_old")
        self.assertTrue(self.check([(date(2021, 3, 2), 900.0, False)]).eligible)

    def test_never_an_administration(self):
        result = self.check([(date(2025, 12, 1), 900.0, False)], regime="administration")
        self.assertEqual(result.reason, "administration")

    def test_only_a_delivery_that_proves_receipt_counts(self):
        debts = [(date(2025, 12, 1), 900.0, False)]
        for method in ("post", "email"):
            notice = ("DUN/2", method, "delivered", date(2026, 2, 1))
            self.assertEqual(self.check(debts, [notice]).reason, "notice_not_proven", method)
        returned = ("DUN/3", "burofax", "returned", False)
        self.assertEqual(self.check(debts, [returned]).reason, "notice_not_proven")
        self.assertEqual(self.check(debts, []).reason, "no_notice")
        certified = ("DUN/4", "certified", "delivered", date(2026, 1, 20))
        self.assertEqual(
            self.check(debts, [self.burofax, certified]).date,
            date(2026, 1, 20),
            "the first proven receipt",
        )


@tagged("post_install", "-at_install")
class TestDeliveryEvidence(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.report_to_bureau = True

    def _final_letter(self, amount=300.0):
        invoice = self._invoice(self.customer, amount, self._due(-61))
        invoice._dunning_write({"dunning_stage_id": self.stage_letter1.id})
        self._run()
        letter = self._comms(self.customer, channel="letter")
        self.assertEqual((letter.tone, letter.bureau_notice_date), ("final", self.today))
        return invoice, letter

    def _record(self, letter, **values):
        action = letter.action_mark_letter_sent()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write(dict({"sending_date": self.today}, **values))
        wizard.action_confirm()

    def _bureau(self, on_date):
        partner = self.customer.with_context(date=on_date)
        partner.invalidate_recordset()
        with freeze_time(on_date):
            return (
                partner.dunning_bureau_eligible,
                partner.dunning_bureau_date,
                partner.dunning_bureau_basis,
            )

    def test_a_burofax_received_makes_the_debt_reportable_from_its_receipt(self):
        _invoice, letter = self._final_letter()
        self.assertFalse(self._bureau(self._due(1))[0], "warned, receipt not proven yet")
        self._record(
            letter,
            sending_method="burofax",
            sending_reference="BF-2026-77",
            sending_date=self.today,
            delivery_outcome="delivered",
            receipt_date=self._due(3),
            delivery_proof=b"JVBERi0xLjQK",
            delivery_proof_name="burofax_certificado.pdf",
        )
        self.assertTrue(letter.receipt_proven)
        eligible, since, basis = self._bureau(self._due(4))
        self.assertTrue(eligible)
        self.assertEqual(since, self._due(3))
        self.assertIn(letter.name, basis)
        html = self._report_html("account_dunning_es.action_report_dunning_dossier", letter)
        self.assertIn("BF-2026-77", html)
        self.assertIn("burofax_certificado.pdf", html)

    def test_an_ordinary_letter_proves_no_receipt(self):
        _invoice, letter = self._final_letter()
        self._record(
            letter, sending_method="post", delivery_outcome="delivered", receipt_date=self._due(3)
        )
        self.assertFalse(letter.receipt_proven)
        eligible, since, basis = self._bureau(self._due(10))
        self.assertFalse(eligible)
        self.assertFalse(since)
        self.assertIn("receipt is not proven", basis)

    def test_40_eur_and_disputed_debts_are_never_reportable(self):
        invoice, letter = self._final_letter(amount=40.0)
        self._record(
            letter,
            sending_method="burofax",
            sending_reference="BF-1",
            delivery_outcome="delivered",
            receipt_date=self._due(2),
        )
        self.assertIn("Less than 50 EUR", self._bureau(self._due(5))[2])
        invoice.dunning_reason = "dispute"
        self.assertIn("disputed", self._bureau(self._due(5))[2])

    def test_the_next_stage_counts_from_the_receipt_of_the_letter(self):
        self.policy.min_days_between = 35
        invoice, letter = self._final_letter()
        # Hand-over: 90 days after the due date, 35 days after the last reminder.
        self._record(
            letter,
            sending_method="certified",
            sending_reference="CE-9",
            delivery_outcome="delivered",
            receipt_date=self._due(8),
        )
        self.assertEqual(invoice.dunning_last_date, self._due(8))
        self._run(self._due(36))
        self.assertFalse(
            self._comms(self.customer, channel="agency"),
            "35 days after the letter, but not after its receipt",
        )
        self._run(self._due(43))
        self.assertTrue(self._comms(self.customer, channel="agency"))

    def test_a_delivered_letter_needs_its_receipt_date(self):
        _invoice, letter = self._final_letter()
        action = letter.action_mark_letter_sent()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write(
            {
                "sending_method": "burofax",
                "sending_reference": "BF-2",
                "delivery_outcome": "delivered",
            }
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
