# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""When the money comes in, and credit at both ends: predicted
payment dates, the 13-week cash-in forecast, the credit hold of a late stage
and the suggested credit limit."""

import base64
import io
from datetime import date, timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import format_date

from ..rules import prediction as rules
from .common import DunningCommon


def _weight(age_days):
    return 0.5 ** (age_days / rules.HALF_LIFE_DAYS)


@tagged("post_install", "-at_install")
class TestPredictionRules(TransactionCase):
    today = date(2026, 3, 2)

    def test_recent_payments_weigh_more(self):
        history = [
            (date(2025, 9, 1), date(2025, 9, 3)),  # 2 days late, 180 days ago
            (date(2026, 2, 1), date(2026, 3, 1)),  # 28 days late, yesterday
            (date(2026, 2, 20), date(2026, 3, 5)),  # paid after today: unknown yet
        ]
        samples = rules.lateness_samples(history, self.today)
        self.assertEqual(len(samples), 2)
        self.assertEqual(samples[0], (2, _weight(180)))
        mean, weight = rules.Lateness(samples).mean_after(0)
        hand = (2 * 0.5 + 28 * _weight(1)) / (0.5 + _weight(1))
        self.assertAlmostEqual(mean, hand)
        self.assertAlmostEqual(weight, 0.5 + _weight(1))

    def test_an_invoice_already_late_is_judged_on_later_payments(self):
        own = rules.Lateness([(5, 1.0), (10, 1.0), (40, 1.0)])
        self.assertEqual(rules.predict_days_late(own, rules.NO_HISTORY).days_late, 18)
        later = rules.predict_days_late(own, rules.NO_HISTORY, already_late=20)
        self.assertEqual((later.days_late, later.basis), (40, "own"))
        beyond = rules.predict_days_late(own, rules.NO_HISTORY, already_late=45)
        self.assertEqual(
            (beyond.days_late, beyond.basis), (45 + rules.LATER_THAN_EVER_DAYS, "later_than_ever")
        )

    def test_little_history_is_blended_with_the_segment(self):
        own = rules.Lateness([(30, 1.0)])
        segment = rules.Lateness([(0, 1.0), (10, 1.0)])
        blend = rules.predict_days_late(own, segment)
        hand = (1.0 * 30 + rules.SEGMENT_PRIOR_WEIGHT * 5) / (1.0 + rules.SEGMENT_PRIOR_WEIGHT)
        self.assertEqual((blend.days_late, blend.basis), (round(hand), "blend"))
        rich = rules.Lateness([(30, 1.0)] * 10)
        self.assertEqual(rules.predict_days_late(rich, segment).basis, "own")
        self.assertEqual(
            rules.predict_days_late(rules.NO_HISTORY, segment), rules.Prediction(5, "segment", 0.0)
        )
        self.assertEqual(
            rules.predict_days_late(rules.NO_HISTORY, rules.NO_HISTORY),
            rules.Prediction(0, "none", 0.0),
        )

    def test_predicted_date(self):
        due = date(2026, 3, 10)
        self.assertEqual(rules.predicted_date(due, self.today, 12), date(2026, 3, 22))
        self.assertEqual(rules.predicted_date(due, self.today, -20), self.today, "never past")
        self.assertEqual(
            rules.predicted_date(due, self.today, 12, promise_date=date(2026, 3, 15)),
            date(2026, 3, 15),
            "a promise wins over the habit",
        )

    def test_weekly_sums(self):
        monday = date(2026, 3, 2)
        items = [
            (date(2026, 2, 20), 100.0, "promise"),  # overdue instalment: this week
            (date(2026, 3, 4), 50.0, "invoice"),
            (date(2026, 3, 9), 70.0, "invoice"),
            (date(2026, 3, 13), 30.0, "invoice"),
            (date(2026, 9, 1), 999.0, "invoice"),  # after the 13 weeks
            (date(2026, 9, 1), 400.0, "not_expected"),
        ]
        self.assertEqual(
            rules.weekly_forecast(items, date(2026, 3, 4)),
            {
                (monday, "promise"): 100.0,
                (monday, "invoice"): 50.0,
                (monday + timedelta(weeks=1), "invoice"): 100.0,
                (monday, "not_expected"): 400.0,
            },
        )

    def test_kept_rate_and_credit_limit(self):
        self.assertEqual(rules.kept_rate(3, 1), 0.75)
        self.assertEqual(rules.kept_rate(0, 0, fallback=0.6), 0.6)
        self.assertEqual(rules.kept_rate(0, 0), 1.0)
        # 1,000 a month on 30-day terms, 15 days late, on time: 1.5 months x
        # 1.5 = 2,250, rounded up to 2,500.
        self.assertEqual(
            rules.suggested_credit_limit(1000.0, 30, 15, "on_time", False), (2500.0, "on_time")
        )
        self.assertEqual(
            rules.suggested_credit_limit(1000.0, 30, 15, "chronic", False), (1000.0, "chronic")
        )
        self.assertEqual(
            rules.suggested_credit_limit(1000.0, 0, -3, None, False), (1000.0, "new"), "a month"
        )
        self.assertEqual(
            rules.suggested_credit_limit(1000.0, 30, 0, "on_time", True), (0.0, "withdrawn")
        )
        self.assertEqual(rules.suggested_credit_limit(0.0, 30, 0, None, False), (None, "no_sales"))


@tagged("post_install", "-at_install")
class TestPredictedDates(DunningCommon):
    def _paid_late(self, partner, due, days_late, amount=100.0):
        invoice = self._invoice(partner, amount, due)
        self._pay(invoice, on_date=due + timedelta(days=days_late))
        return invoice

    def test_a_customer_with_a_known_history(self):
        customer = self.customer
        # Paid 10, 20 and 30 days late, payments 60, 40 and 20 days ago.
        for days_late, ago in ((10, 60), (20, 40), (30, 20)):
            self._paid_late(customer, self.today - timedelta(days=ago + days_late), days_late)
        soon = self._invoice(customer, 500.0, self._due(5))
        late = self._invoice(customer, 300.0, self._due(-25))
        newcomer = self._create_customer("Cliente Nuevo SL")
        fresh = self._invoice(newcomer, 200.0, self._due(3))
        self.env.flush_all()
        written = soon.write_date
        self.env["dunning.cash.forecast"]._update_predictions(self.company, self.today)
        soon.invalidate_recordset()
        self.assertEqual(soon.write_date, written, "a forecast does not mark invoices changed")
        weights = {10: _weight(60), 20: _weight(40), 30: _weight(20)}
        usual = sum(d * w for d, w in weights.items()) / sum(weights.values())
        # Its segment (none: the company's customers without one) is itself.
        self.assertEqual(customer.dunning_predicted_days_late, round(usual))
        self.assertEqual(soon.dunning_predicted_date, self._due(5 + round(usual)))
        # 25 days late already: only the payment 30 days late is relevant.
        self.assertEqual(late.dunning_predicted_date, self._due(-25 + 30))
        # No history of its own: its segment's habit.
        self.assertEqual(newcomer.dunning_prediction_basis, "segment")
        self.assertEqual(fresh.dunning_predicted_date, self._due(3 + round(usual)))
        with freeze_time(self.today):
            customer.invalidate_recordset()
            self.assertEqual(customer.dunning_expected_date, late.dunning_predicted_date)

    def test_a_customer_without_history_already_late_is_expected_later_than_ever(self):
        """No payment to judge by and 95 days overdue: not "0 days late, the
        due date", but what its invoice shows, two weeks from today."""
        customer = self._create_customer("Moroso Nuevo SL")
        invoice = self._invoice(customer, 900.0, self._due(-95))
        self.env["dunning.cash.forecast"]._update_predictions(self.company, self.today)
        self.assertEqual(customer.dunning_prediction_basis, "later_than_ever")
        self.assertEqual(customer.dunning_predicted_days_late, 95 + rules.LATER_THAN_EVER_DAYS)
        self.assertEqual(invoice.dunning_predicted_date, self._due(rules.LATER_THAN_EVER_DAYS))

    def test_a_promise_sets_the_date(self):
        invoice = self._invoice(self.customer, 600.0, self._due(-15))
        with freeze_time(self.today):
            self.env["dunning.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 600.0,
                    "instalment_ids": [
                        Command.create({"date": self._due(4), "amount": 300.0}),
                        Command.create({"date": self._due(34), "amount": 300.0}),
                    ],
                }
            )
        self.env["dunning.cash.forecast"]._update_predictions(self.company, self.today)
        self.assertEqual(invoice.dunning_predicted_date, self._due(4))

    def test_the_daily_job_keeps_them(self):
        invoice = self._invoice(self.customer, 100.0, self._due(10))
        with freeze_time(self.today):
            self._trigger_daily_job()
        self.assertEqual(invoice.dunning_predicted_date, self._due(10), "no history: due date")
        self.assertTrue(
            self.env["dunning.cash.forecast"].search([("company_id", "=", self.company.id)])
        )


@tagged("post_install", "-at_install")
class TestCashForecast(DunningCommon):
    def _closed_promise(self, partner, state):
        """An earlier promise of the customer, kept or broken, on an invoice
        paid since (on its due date: no lateness in the history)."""
        invoice = self._invoice(partner, 10.0, self._due(-100))
        promise = self.env["dunning.promise"].create(
            {
                "partner_id": partner.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 10.0,
                "date_promised": self._due(-90),
                "state": "to_approve",
                "instalment_ids": [Command.create({"date": self._due(-80), "amount": 10.0})],
            }
        )
        promise.write({"state": state})
        self._pay(invoice, on_date=invoice.invoice_date_due)

    def test_weekly_sums_equal_the_hand_computation(self):
        monday = self.today - timedelta(days=self.today.weekday())
        # A: no history, invoice due in 10 days: expected then.
        a = self._create_customer("Alfa Pagos SL")
        self._invoice(a, 1000.0, self._due(10))
        # B: handed over to an agency: not expected.
        b = self._create_customer("Beta Morosa SL")
        handed = self._invoice(b, 700.0, self._due(-95))
        handed.dunning_stage_id = self.stage_agency
        # C: a promise of 2 x 300, and one of its two earlier promises kept.
        c = self._create_customer("Gamma Promete SL")
        promised = self._invoice(c, 600.0, self._due(-20))
        for state in ("kept", "broken"):
            self._closed_promise(c, state)
        with freeze_time(self.today):
            self.env["dunning.promise"].create(
                {
                    "partner_id": c.id,
                    "move_ids": [Command.set(promised.ids)],
                    "amount": 600.0,
                    "instalment_ids": [
                        Command.create({"date": self._due(3), "amount": 300.0}),
                        Command.create({"date": self._due(17), "amount": 300.0}),
                    ],
                }
            )
            Forecast = self.env["dunning.cash.forecast"]
            Forecast._rebuild(self.company, self.today)
            totals = dict(Forecast._weekly_totals(self.company))
        self.assertEqual(len(totals), rules.FORECAST_WEEKS)
        week = timedelta(weeks=1)
        # Kept 1 of 2: each instalment weighs half.
        self.assertEqual(totals[monday]["promise"], 150.0)
        self.assertEqual(totals[monday]["not_expected"], 700.0 + 150.0 + 150.0)
        self.assertEqual(totals[monday + week]["invoice"], 1000.0)
        self.assertEqual(totals[monday + 2 * week]["promise"], 150.0)
        self.assertEqual(sum(t["invoice"] + t["promise"] for t in totals.values()), 1300.0)
        # The XLSX says the same.
        with freeze_time(self.today):
            action = Forecast.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(min_row=2, max_row=1 + rules.FORECAST_WEEKS, values_only=True))
        self.assertEqual(rows[0][0].date(), monday)
        self.assertEqual(rows[0][1:3], (0.0, 150.0))
        self.assertEqual(rows[0][4], 1000.0)
        self.assertEqual(rows[1][1], 1000.0)
        detail = book.worksheets[1]
        customers = {row[1] for row in detail.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(customers, {a.display_name, b.display_name, c.display_name})

    def test_only_managers_see_it(self):
        collector = self.collector
        manager = new_test_user(
            self.env,
            "forecast.manager",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._invoice(self.customer, 100.0, self._due(3))
        self.env["dunning.cash.forecast"].with_user(manager).with_company(
            self.company
        ).action_open()
        self.assertTrue(self.env["dunning.cash.forecast"].with_user(manager).search([]))
        with self.assertRaises(AccessError):
            self.env["dunning.cash.forecast"].with_user(collector).search([])


@tagged("post_install", "-at_install")
class TestForecastScreen(DunningCommon, HttpCase):
    """The forecast as a manager works it in the web client."""

    def test_the_list_buttons_work_as_the_web_client_calls_them(self):
        new_test_user(
            self.env,
            "forecast.buttons",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._activate_spanish()
        self._invoice(self.customer, 100.0, fields.Date.today() + timedelta(days=3))
        self.authenticate("forecast.buttons", "forecast.buttons")
        context = {"lang": "es_ES", "allowed_company_ids": self.company.ids}
        # A list header button with no row selected: the ids are [].
        refresh = self.make_jsonrpc_request(
            "/web/dataset/call_button/dunning.cash.forecast/action_refresh",
            {
                "model": "dunning.cash.forecast",
                "method": "action_refresh",
                "args": [[]],
                "kwargs": {"context": context},
            },
        )
        self.assertEqual(refresh["tag"], "soft_reload")
        export = self.make_jsonrpc_request(
            "/web/dataset/call_button/dunning.cash.forecast/action_export_xlsx",
            {
                "model": "dunning.cash.forecast",
                "method": "action_export_xlsx",
                "args": [[]],
                "kwargs": {"context": context},
            },
        )
        content = self.url_open(export["url"]).content
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        self.assertEqual(sheet.cell(1, 1).value, "Semana (lunes)")
        # Every week of the horizon, as its Monday's date in the reader's language.
        groups = (
            self.env["dunning.cash.forecast"]
            .with_context(lang="es_ES")
            .read_group([("company_id", "=", self.company.id)], ["amount:sum"], ["week_start:day"])
        )
        self.assertEqual(len(groups), rules.FORECAST_WEEKS)
        monday = rules.week_start(fields.Date.today())
        self.assertEqual(
            groups[0]["week_start:day"],
            format_date(
                self.env(context=dict(self.env.context, lang="es_ES")),
                monday,
                date_format="dd MMM yyyy",
            ),
        )
        self.assertNotIn("W", " ".join(g["week_start:day"] for g in groups))
        self.assertEqual(sum(g["amount"] for g in groups), 100.0)


@tagged("post_install", "-at_install")
class TestCreditHold(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_final.credit_hold = True
        cls.customer.write(
            {"invoice_warn": "warning", "invoice_warn_msg": "Pago por transferencia"}
        )

    def _hold(self):
        invoice = self._invoice(self.customer, 800.0, self._due(-61))
        invoice._dunning_write(
            {"dunning_stage_id": self.stage_letter1.id, "dunning_last_date": self._due(-20)}
        )
        self.customer.dunning_collector_id = self.collector
        self._run()
        self.assertEqual(invoice.dunning_stage_id, self.stage_final)
        self.assertTrue(self.customer.dunning_credit_hold)
        return invoice

    def test_the_final_stage_blocks_invoicing_and_payment_lifts_it(self):
        invoice = self._hold()
        self.assertEqual(self.customer.invoice_warn, "block")
        self.assertIn(self.stage_final.name, self.customer.invoice_warn_msg)
        self.assertIn("Carmen Cobros", self.customer.invoice_warn_msg)
        # Odoo's own warning blocks a new invoice for it.
        form = Form(self.env["account.move"].with_context(default_move_type="out_invoice"))
        form.partner_id = self.customer
        self.assertFalse(form.partner_id, "a new invoice cannot be made for it")
        self.assertIn("Credit hold placed", self.customer.message_ids[0].body)
        self.assertEqual(self.customer.dunning_suggested_credit_limit, 0.0, "no credit on hold")
        # A second run does not hold it twice nor lose the warning it replaced.
        self._run(on_date=self._due(1))
        self.assertEqual(
            self.customer.dunning_hold_previous["invoice_warn"],
            ["warning", "Pago por transferencia"],
        )
        self._pay(invoice)
        self.assertFalse(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.invoice_warn, "warning")
        self.assertEqual(self.customer.invoice_warn_msg, "Pago por transferencia")
        self.assertIn("nothing is overdue", self.customer.message_ids[0].body)

    def test_a_partial_payment_keeps_it_and_a_promise_lifts_it(self):
        invoice = self._hold()
        self._pay(invoice, amount=300.0)
        self.assertTrue(self.customer.dunning_credit_hold, "still 500 overdue")
        with freeze_time(self.today):
            self.env["dunning.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 500.0,
                    "instalment_ids": [Command.create({"date": self._due(7), "amount": 500.0})],
                }
            )
        self.assertFalse(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.invoice_warn, "warning")
        self.assertIn("payment promise", self.customer.message_ids[0].body)

    def test_the_daily_job_lifts_a_hold_paid_by_credit_note_or_elsewhere(self):
        invoice = self._hold()
        invoice.button_draft()
        invoice.button_cancel()
        with freeze_time(self.today):
            self._trigger_daily_job()
        self.assertFalse(self.customer.dunning_credit_hold)
        self.assertEqual(self.customer.invoice_warn, "warning")


@tagged("post_install", "-at_install")
class TestSuggestedCreditLimit(DunningCommon):
    def test_suggested_from_its_behaviour_and_accepted_in_one_click(self):
        # 12,000 invoiced in the last year on 30-day terms (see _invoice).
        for months_ago in (2, 5):
            self._invoice(self.customer, 6000.0, self.today - timedelta(days=30 * months_ago - 30))
        self.customer.write({"dunning_behaviour": "on_time", "dunning_predicted_days_late": 0})
        with freeze_time(self.today):
            customer = self.customer.with_company(self.company)
            customer.invalidate_recordset()
            # 1,000 a month x 1 month x 1.5 (on time) = 1,500.
            self.assertEqual(customer.dunning_suggested_credit_limit, 1500.0)
            self.assertIn("30-day terms", customer.dunning_credit_limit_reason)
            self.assertIn("pays on time", customer.dunning_credit_limit_reason)
            customer.action_dunning_accept_credit_limit()
        self.assertEqual(customer.credit_limit, 1500.0)
        self.assertTrue(customer.use_partner_credit_limit)
        self.assertIn("Credit limit set to", customer.message_ids[0].body)
