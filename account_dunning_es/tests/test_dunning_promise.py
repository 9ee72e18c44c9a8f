# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..infrastructure import sql_builders
from ..rules import engine as rules
from ..rules import worklist as worklist_rules
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestPromiseRules(DunningCommon):
    def test_evaluation_states_on_known_inputs(self):
        plan = [(date(2026, 3, 10), 300.0), (date(2026, 4, 10), 700.0)]
        self.assertEqual(rules.evaluate_promise(plan, [], date(2026, 3, 5)).state, "open")
        on_time = [(date(2026, 3, 9), 300.0)]
        self.assertEqual(
            rules.evaluate_promise(plan, on_time, date(2026, 3, 20)).next_due, date(2026, 4, 10)
        )
        late = rules.evaluate_promise(plan, on_time, date(2026, 4, 13), grace_days=2)
        self.assertEqual((late.state, late.broken_on), ("broken", date(2026, 4, 10)))
        self.assertEqual(
            rules.evaluate_promise(plan, on_time, date(2026, 4, 12), grace_days=2).state, "open"
        )
        self.assertEqual(
            rules.evaluate_promise(plan, [(date(2026, 3, 1), 1000.0)], date(2026, 3, 2)).state,
            "kept",
        )

    def test_payment_behaviour(self):
        d = date
        self.assertEqual(
            rules.payment_behaviour([(d(2026, 1, 1), d(2026, 1, 3))] * 4, 0), "on_time"
        )
        self.assertEqual(
            rules.payment_behaviour(
                [(d(2026, 1, 1), d(2026, 1, 20))] + [(d(2026, 1, 1), d(2026, 1, 1))] * 3, 0
            ),
            "occasional",
        )
        self.assertEqual(
            rules.payment_behaviour([(d(2026, 1, 1), d(2026, 3, 1))] * 3, 0), "chronic"
        )
        self.assertEqual(rules.payment_behaviour([], 2), "promise_breaker")

    def test_payment_behaviour_without_payments(self):
        """Nothing paid: unknown, unless a broken promise says otherwise."""
        d = date
        self.assertEqual(rules.payment_behaviour([], 0), "new", "no history at all")
        self.assertEqual(rules.payment_behaviour([], 1), "occasional", "one broken promise")
        self.assertEqual(rules.payment_behaviour([], 2), "promise_breaker")
        on_time = [(d(2026, 1, 1), d(2026, 1, 2))] * 3
        self.assertEqual(rules.payment_behaviour(on_time, 0), "on_time")
        self.assertEqual(rules.payment_behaviour(on_time[:1], 1), "occasional")
        late = [(d(2026, 1, 1), d(2026, 2, 15))] * 3
        self.assertEqual(rules.payment_behaviour(late, 0), "chronic")
        self.assertEqual(
            rules.payment_behaviour([(d(2026, 1, 1), d(2026, 1, 20))] + on_time, 0), "occasional"
        )

    def test_one_late_payment_is_no_chronic_late_payer(self):
        """One invoice paid 12 days late made a chronic payer."""
        d = date
        once = [(d(2026, 1, 1), d(2026, 1, 13))]
        self.assertEqual(rules.payment_behaviour(once, 0), "occasional")
        self.assertEqual(rules.payment_behaviour(once * 2, 0), "occasional")
        self.assertEqual(rules.payment_behaviour(once * 3, 0), "chronic", "three of three late")
        very_late = [(d(2026, 1, 1), d(2026, 3, 1))] + [(d(2026, 1, 1), d(2026, 1, 1))] * 3
        self.assertEqual(
            rules.payment_behaviour(very_late, 0), "chronic", "59 days late on average"
        )
        facts = rules.behaviour_facts(once + [(d(2026, 2, 1), d(2026, 2, 1))], 1)
        self.assertEqual(facts, rules.BehaviourFacts(2, 1, 12.0, 1))


@tagged("post_install", "-at_install")
class TestDunningPromise(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.promise_grace_days = 2

    def _promise(self, invoices, instalments, on_date=None):
        with freeze_time(on_date or self.today):
            wizard = (
                self.env["dunning.promise.wizard"]
                .with_context(active_model="account.move", active_ids=invoices.ids)
                .create({"date": instalments[0][0]})
            )
            action = wizard.action_confirm()
            promise = self.env["dunning.promise"].browse(action["res_id"])
            if len(instalments) > 1:
                promise.instalment_ids = [Command.clear()] + [
                    Command.create({"date": d, "amount": a}) for d, a in instalments
                ]
        return promise

    def test_promise_registered_from_the_customer_covers_its_overdue_invoices(self):
        overdue = self._invoice(self.customer, 300.0, self._due(-10)) + self._invoice(
            self.customer, 200.0, self._due(-3)
        )
        self._invoice(self.customer, 900.0, self._due(20))
        with freeze_time(self.today):
            action = self.customer.action_dunning_register_promise()
            wizard = (
                self.env[action["res_model"]]
                .with_context(**action["context"])
                .create({"date": self._due(5), "channel": "phone"})
            )
            promise = self.env["dunning.promise"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(promise.move_ids, overdue)
        self.assertEqual(promise.amount, 500.0)
        self.assertEqual(promise.instalment_ids.mapped("date"), [self._due(5)])
        self.assertEqual((promise.state, promise.next_date), ("open", self._due(5)))
        self.assertEqual(self.customer.dunning_status, "promise")

    def test_promise_kept_when_paid_by_the_date(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-10))
        promise = self._promise(invoice, [(self._due(5), 500.0)])
        with freeze_time(self._due(4)):
            self._pay(invoice, on_date=self._due(4))
        self.assertEqual((promise.state, promise.amount_paid), ("kept", 500.0))
        self.assertEqual(promise.instalment_ids.state, "paid")

    def test_partial_payment_keeps_the_promise_open_and_shows_it(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-10))
        promise = self._promise(invoice, [(self._due(5), 500.0)])
        self._pay(invoice, amount=200.0, on_date=self._due(2))
        self.assertEqual(
            (promise.state, promise.amount_paid, promise.paid_percent), ("open", 200.0, 40.0)
        )
        self.assertEqual(promise.instalment_ids.state, "partial")

    def test_payment_plan_breaks_on_the_missed_instalment(self):
        invoice = self._invoice(self.customer, 900.0, self._due(-10))
        promise = self._promise(
            invoice, [(self._due(5), 300.0), (self._due(35), 300.0), (self._due(65), 300.0)]
        )
        self.assertEqual(promise.date_due, self._due(65))
        self._pay(invoice, amount=300.0, on_date=self._due(5))
        with freeze_time(self._due(37)):
            promise._evaluate(self._due(37))
        self.assertEqual(promise.state, "open", "within the grace days")
        with freeze_time(self._due(38)):
            promise._evaluate(self._due(38))
        self.assertEqual((promise.state, promise.broken_date), ("broken", self._due(35)))
        self.assertEqual(promise.instalment_ids.mapped("state"), ["paid", "pending", "pending"])

    def test_a_broken_promise_and_nothing_paid_is_no_good_payer(self):
        """The daily job's classification, and the worklist points it gives."""
        newcomer = self._create_customer("Sin Historia SL")
        self.assertEqual(newcomer.dunning_behaviour, "new", "no history at all")
        invoice = self._invoice(self.customer, 500.0, self._due(-10))
        promise = self._promise(invoice, [(self._due(5), 500.0)])
        with freeze_time(self._due(8)):
            promise._evaluate(self._due(8))
            self.assertEqual(promise.state, "broken")
            self.env["res.partner"]._dunning_update_behaviour(self.company)
        self.assertEqual(self.customer.dunning_behaviour, "occasional")
        self.assertEqual(
            (self.customer.dunning_paid_count, self.customer.dunning_broken_recent), (0, 1)
        )
        parts = worklist_rules.priority_parts(
            500.0, 18, None, self.customer.dunning_behaviour, 1, False, None
        )
        self.assertEqual(parts.behaviour, 5, "it counts on the worklist")

    def test_instalments_must_add_up_to_the_promised_amount(self):
        invoice = self._invoice(self.customer, 900.0, self._due(-10))
        promise = self._promise(invoice, [(self._due(5), 900.0)])
        with self.assertRaises(ValidationError):
            promise.instalment_ids = [Command.create({"date": self._due(30), "amount": 100.0})]
        promise.action_split_instalments(3, 30)
        self.assertEqual(promise.instalment_ids.mapped("amount"), [300.0, 300.0, 300.0])

    def test_open_promise_pauses_escalation(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-3))
        self._run()
        self.assertEqual(invoice.dunning_stage_id, self.stage_reminder)
        self._promise(invoice, [(self._due(20), 500.0)])
        for day in range(1, 20):
            with freeze_time(self._due(day)):
                self._trigger_daily_job()
        self.assertEqual(invoice.dunning_stage_id, self.stage_reminder, "no call while promised")
        self.assertEqual(len(self._comms(self.customer)), 1)

    def test_broken_promise_escalates_through_the_daily_run(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-3))
        self._run()
        promise = self._promise(invoice, [(self._due(5), 500.0)])
        with freeze_time(self._due(8)):
            self._trigger_daily_job()
        self.assertEqual(promise.state, "broken")
        self.assertEqual(invoice.dunning_stage_id, self.stage_call, "at once, the next stage")
        call = self._comms(self.customer).filtered(lambda c: c.channel == "call")
        self.assertEqual(call.date, self._due(8))
        todo = promise.activity_ids.filtered(lambda a: a.summary == "Broken payment promise")
        self.assertEqual(todo.user_id, self.env.user)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.dunning_broken_promise_count, 1)

    def test_broken_promise_goes_to_the_stage_the_policy_designates(self):
        self.policy.promise_broken_stage_id = self.stage_final
        invoice = self._invoice(self.customer, 500.0, self._due(-3))
        self._run()
        promise = self._promise(invoice, [(self._due(5), 500.0)])
        with freeze_time(self._due(8)):
            self.env["dunning.run"]._judge_now(promise.move_ids, self._due(8))
        self.assertEqual(invoice.dunning_stage_id, self.stage_final)

    def test_friendly_reminder_the_day_before_an_instalment(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-3))
        promise = self._promise(invoice, [(self._due(5), 200.0), (self._due(35), 300.0)])
        with self.mock_mail_gateway():
            for day in (3, 4, 4):
                with freeze_time(self._due(day)):
                    promise._send_instalment_reminders(self._due(day))
        self.assertEqual(len(self._new_mails), 1, "once, the day before")
        self.assertIn("tomorrow an instalment", self._new_mails.body_html)
        self.assertTrue(promise.instalment_ids[0].reminder_sent)

    def test_dispute_pauses_dunning_of_that_invoice_and_asks_for_action(self):
        disputed = self._invoice(self.customer, 500.0, self._due(-3))
        other = self._invoice(self.customer, 100.0, self._due(-3))
        disputed.write({"dunning_reason": "dispute", "dunning_reason_note": "Material defectuoso"})
        activity = disputed.activity_ids
        self.assertEqual(activity.summary, "Resolve the dispute")
        self.assertEqual(activity.user_id, self.collector)
        self._run()
        self.assertEqual(self._comms(self.customer).line_ids.move_id, other)
        self.assertFalse(disputed.dunning_stage_id)
        disputed.dunning_reason = False
        self._run(self._due(1))
        self.assertEqual(disputed.dunning_stage_id, self.stage_reminder, "resumes once resolved")

    def test_missing_document_and_financial_difficulty_ask_for_action(self):
        first = self._invoice(self.customer, 500.0, self._due(-3))
        second = self._invoice(self.customer, 500.0, self._due(-3))
        first.dunning_reason = "missing_document"
        second.dunning_reason = "financial"
        self.assertEqual(first.activity_ids.summary, "Send the missing document or data")
        self.assertEqual(second.activity_ids.summary, "Propose a payment plan")
        self.assertEqual(
            second.activity_ids.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )

    def test_suspected_fraud_shortens_the_path_to_the_final_letter(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-3))
        self._run()
        self.customer.dunning_reason = "unwilling"
        self._run(self._due(2))
        self.assertEqual(invoice.dunning_stage_id, self.stage_final)

    def test_one_invoice_paid_late_makes_an_occasional_payer_and_says_why(self):
        paid = self._invoice(self.customer, 100.0, self._due(-40))
        self._pay(paid, on_date=self._due(-28))
        with freeze_time(self.today):
            self.env["res.partner"]._dunning_update_behaviour(self.company)
        self.assertEqual(self.customer.dunning_behaviour, "occasional")
        self.assertEqual(
            self.customer.dunning_behaviour_basis,
            "Last 12 months: 1 invoices paid, 1 late (12 days late on average), 0 broken "
            "promises. Too short a history to call it chronic (fewer than 3 invoices paid).",
        )

    def test_chronic_late_payer_follows_the_faster_policy(self):
        fast = self._create_policy(self.company, "Fast")
        fast.stage_ids.filtered(lambda s: s.name == "Reminder").offset_days = 0
        self.policy.chronic_policy_id = fast
        for n in range(3):
            paid = self._invoice(self.customer, 100.0, self._due(-90 + n))
            self._pay(paid, on_date=self._due(-30 + n))
        with freeze_time(self.today):
            self.env["res.partner"]._dunning_update_behaviour(self.company)
        self.assertEqual(self.customer.dunning_behaviour, "chronic")
        self.assertEqual(
            self.customer.dunning_behaviour_basis,
            "Last 12 months: 3 invoices paid, 3 late (60 days late on average), 0 broken promises.",
        )
        self.assertEqual(self.customer.dunning_policy_id, fast)
        self._invoice(self.customer, 100.0, self._due(0))
        self._run()
        self.assertEqual(self._comms(self.customer).stage_id.policy_id, fast)

    def test_thank_you_after_paying_everything(self):
        self.policy.thank_you = True
        first = self._invoice(self.customer, 300.0, self._due(-3))
        second = self._invoice(self.customer, 200.0, self._due(-5))
        self._run()
        with self.mock_mail_gateway():
            self._pay(first)
            self.assertFalse(self._new_mails, "one invoice is still open")
            self._pay(second)
        self.assertEqual(len(self._new_mails), 1)
        self.assertIn("thank you for your payment", self._new_mails.subject)
        self.assertEqual(self.customer.dunning_status, "ok")

    def test_sales_reads_promises_collector_registers_them(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-3))
        promise = self._promise(invoice, [(self._due(5), 500.0)])
        salesman = new_test_user(
            self.env,
            login="vendedor2",
            groups="base.group_user,sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.user_id = salesman  # a sales rep reads their own customers' promises
        self.assertEqual(promise.with_user(salesman).state, "open")
        with self.assertRaises(AccessError):
            promise.with_user(salesman).note = "x"
        wizard = (
            self.env["dunning.promise.wizard"]
            .with_user(self.collector)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"date": self._due(9)})
        )
        second = self.env["dunning.promise"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(second.user_id, self.collector)

    def test_promise_registered_from_the_call_activity(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-12))
        invoice._dunning_write(
            {"dunning_stage_id": self.stage_reminder.id, "dunning_last_date": self._due(-10)}
        )
        self._run()
        call = self._comms(self.customer).filtered(lambda c: c.channel == "call")
        activity = call.activity_id
        self.assertTrue(activity)
        action = self.env.ref("account_dunning_es.action_activity_register_promise")
        with freeze_time(self.today):
            wizard = (
                self.env[action.res_model]
                .with_context(active_model="mail.activity", active_ids=activity.ids)
                .create({"date": self._due(7), "channel": "phone"})
            )
            promise = self.env["dunning.promise"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.communication_id, call)
        self.assertEqual(promise.move_ids, invoice)
        self.assertEqual(promise.amount, 500.0)

    def test_one_reader_of_an_invoice_payments_with_or_without_credit_notes(self):
        invoice = self._invoice(self.customer, 1000.0, self._due(-20))
        self._pay(invoice, amount=300.0, on_date=self._due(-10))
        refund = self._invoice(self.customer, 200.0, self._due(-5), move_type="out_refund")
        receivable = (invoice.line_ids + refund.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        receivable.reconcile()
        self.assertEqual(invoice.amount_residual, 500.0)
        everything = invoice._dunning_payments()[invoice.id]
        self.assertEqual(sorted(amount for _date, amount in everything), [200.0, 300.0])
        # The effectiveness figures read the same reader: the payments of a
        # period, credit notes left out, each with its partial to count once.
        figures = self.env["dunning.effectiveness"]
        payments = figures._payments(self.company, self._due(-30), self._due(0))[invoice.id]
        self.assertEqual(len(payments), 1)
        partial_id, pay_date, amount = payments[0]
        self.assertEqual((pay_date, amount), (self._due(-10), 300.0))
        self.assertTrue(self.env["account.partial.reconcile"].browse(partial_id).exists())
        # ... and every settlement the dashboard sums, credit notes included.
        self.env.cr.execute(sql_builders.invoice_payments(company_ids=self.company.ids))
        settled = [
            (row["pay_date"], row["amount"])
            for row in self.env.cr.dictfetchall()
            if row["invoice_id"] == invoice.id
        ]
        self.assertEqual(sorted(settled), sorted(everything))

    # ------------------------------------------------------------------
    # Found trying the product as a collector would
    # ------------------------------------------------------------------
    def test_a_manual_run_after_a_missed_instalment_breaks_the_promise_and_escalates(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-5))
        self._run()
        promise = self._promise(invoice, [(self._due(3), 500.0)])
        self.assertEqual(promise.state, "open")
        # No daily job: a collector's manual run dated after the instalment
        # and its grace days.
        run = self._run(self._due(10))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(promise.broken_date, self._due(3))
        escalation = self._comms(self.customer).filtered(lambda c: c.date == self._due(10))
        self.assertTrue(escalation, "escalated on the run's date, not the real today")
        self.assertEqual(invoice.dunning_last_date, self._due(10))
        self.assertEqual(run.state, "done")

    def test_send_now_on_a_promised_invoice_says_why_nothing_was_sent(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-5))
        promise = self._promise(invoice, [(self._due(7), 500.0)])
        runs = self.env["dunning.run"].search_count([])
        # Send now judges the promise on today's date: its instalment is
        # still a week away, so it holds.
        with freeze_time(self.today), self.assertRaisesRegex(UserError, promise.name):
            invoice.action_dunning_send_now()
        self.assertEqual(self.env["dunning.run"].search_count([]), runs, "no empty run")
        invoice.dunning_reason = "dispute"
        promise.action_cancel()
        with freeze_time(self.today), self.assertRaisesRegex(UserError, "disputed"):
            invoice.action_dunning_send_now()

    def test_first_payment_and_last_instalment_dates_are_named_apart(self):
        wizard = self.env["dunning.promise.wizard"].fields_get(["date"])["date"]["string"]
        promise = self.env["dunning.promise"].fields_get(["date_due"])["date_due"]["string"]
        self.assertEqual((wizard, promise), ("First Payment On", "Last Instalment On"))
