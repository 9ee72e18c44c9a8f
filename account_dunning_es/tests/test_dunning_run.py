# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from odoo.tools.sql import index_exists

from ..models.dunning_communication_issue import sole_t_call
from ..rules import engine as rules
from ..rules import law as law_rules
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningRun(DunningCommon):
    def test_pre_reminder_email_lists_invoice_before_due_date(self):
        invoice = self._invoice(self.customer, 1210.0, self._due(4))
        self.env["res.partner.bank"].create(
            {
                "acc_number": "ES91 2100 0418 4502 0005 1332",
                "partner_id": self.company.partner_id.id,
            }
        )
        with self.mock_mail_gateway():
            run = self._run()
        comm = self._comms(self.customer)
        self.assertEqual(comm.stage_id, self.stage_pre)
        self.assertEqual((comm.channel, comm.state), ("email", "sent"))
        self.assertEqual(invoice.dunning_stage_id, self.stage_pre)
        self.assertEqual(invoice.dunning_count, 1)
        self.assertEqual(invoice.dunning_last_date, self.today)
        self.assertEqual(run.state, "done")
        self.assertMailMail(self.customer, "outgoing", content=invoice.name)
        body = self._new_mails.body_html
        self.assertIn("will soon be due", body)
        self.assertIn("1,210.00", body)
        self.assertIn("Carmen Cobros", body, "the responsible collector is named")
        self.assertIn("+34 910 000 111", body, "with the collector's phone")
        self.assertIn("bank transfer to <strong>ES91 2100 0418 4502 0005 1332</strong>", body)
        self.assertIn(f"stating as reference: <strong>{invoice.name}</strong>", body)
        # Logged on the customer's chatter, answers routed as Odoo would.
        message = comm.message_id
        self.assertEqual((message.model, message.res_id), ("res.partner", self.customer.id))
        self.assertEqual(self._new_mails.mail_message_id, message)
        self.assertEqual(
            message.reply_to,
            self.customer._notify_get_reply_to(default=message.email_from)[self.customer.id],
        )

    def test_the_run_stores_policy_tone_and_deadline_as_the_orm_computes_them(self):
        """The run gives the precomputed fields itself: the same values as a
        communication created without them gets."""
        self.stage_letter1.policy_id.letter_deadline_days = 14
        self._invoice(self.customer, 100.0, self._due(-40))
        self._invoice(self.customer_2, 100.0, self._due(-3))
        self.env["account.move"].search([("partner_id", "=", self.customer.id)])._dunning_write(
            {"dunning_stage_id": self.stage_call.id}
        )
        with self.mock_mail_gateway():
            self._run()
        comms = self._comms()
        self.assertIn("letter", comms.mapped("channel"))
        for comm in comms:
            computed = self.env["dunning.communication"].create(
                {
                    "company_id": comm.company_id.id,
                    "partner_id": comm.partner_id.id,
                    "stage_id": comm.stage_id.id,
                    "channel": comm.channel,
                    "date": comm.date,
                }
            )
            self.assertEqual(
                (comm.policy_id, comm.tone, comm.letter_deadline),
                (computed.policy_id, computed.tone, computed.letter_deadline),
                comm.channel,
            )
        letter = comms.filtered(lambda c: c.channel == "letter")
        self.assertEqual(letter.letter_deadline, law_rules.letter_deadline(self.today, 14))

    def test_given_policy_tone_and_deadline_are_stored_as_given(self):
        """What the run gives create() is what is stored: Odoo drops the
        given value of a readonly precomputed field and computes it again,
        record by record. Values unlike the computed ones tell which won."""
        values = {
            "company_id": self.env.company.id,
            "partner_id": self.customer.id,
            "stage_id": self.stage_letter1.id,
            "channel": "letter",
            "date": self.today,
        }
        Communication = self.env["dunning.communication"]
        computed = Communication.create(dict(values))
        other_policy = self.stage_letter1.policy_id.copy()
        given = Communication.create(
            dict(
                values,
                policy_id=other_policy.id,
                tone="friendly",
                letter_deadline=fields.Date.add(self.today, days=99),
            )
        )
        self.assertNotEqual(computed.tone, "friendly")
        self.assertNotEqual(computed.policy_id, other_policy)
        given.invalidate_recordset()
        self.assertEqual(
            (given.policy_id, given.tone, given.letter_deadline),
            (other_policy, "friendly", fields.Date.add(self.today, days=99)),
        )
        # The stage's policy and tone still follow the stage.
        self.stage_letter1.tone = "final"
        self.assertEqual(computed.tone, "final")

    def test_one_email_per_customer_and_stage_lists_all_its_invoices(self):
        invoices = (
            self._invoice(self.customer, 100.0, self._due(-3))
            + self._invoice(self.customer, 200.0, self._due(-7))
            + self._invoice(self.customer, 300.0, self._due(-9))
        )
        with self.mock_mail_gateway():
            self._run()
        comm = self._comms(self.customer)
        self.assertEqual(len(comm), 1, "one communication, not one per invoice")
        self.assertEqual(comm.stage_id, self.stage_reminder)
        self.assertEqual(comm.line_ids.move_id, invoices)
        self.assertAlmostEqual(comm.amount_residual, 600.0)
        self.assertEqual(len(self._new_mails), 1)
        for invoice in invoices:
            self.assertIn(invoice.name, self._new_mails.body_html)
        self.assertEqual(
            sorted(comm.line_ids.mapped("days_overdue")), [3, 7, 9], "days overdue per invoice"
        )

    def test_run_lines_carry_their_communication_and_follow_it(self):
        """Lines are written in bulk by a run: the same values as the ORM's."""
        invoices = self._invoice(self.customer, 100.0, self._due(-3)) + self._invoice(
            self.customer, 250.0, self._due(-6)
        )
        self._pay(invoices[1], 50.0)
        self._run(preview=True)
        comm = self._comms(self.customer)
        self.assertEqual((comm.invoice_count, comm.amount_residual), (2, 300.0))
        self.assertEqual(comm.move_ids, invoices)
        for line in comm.line_ids:
            self.assertEqual(
                (line.company_id, line.partner_id, line.channel, line.state, line.date),
                (comm.company_id, comm.partner_id, "email", "draft", self.today),
            )
            self.assertEqual(line.create_uid, self.env.user)
            self.assertFalse(line.cancelled)
        line = comm.line_ids.filtered(lambda line: line.move_id == invoices[1])
        self.assertEqual(
            (line.amount_total, line.amount_paid, line.amount_residual, line.days_overdue),
            (250.0, 50.0, 200.0, 6),
        )
        self.assertEqual(invoices.mapped("dunning_count"), [1, 1])
        self.assertEqual(invoices.dunning_stage_id, self.stage_reminder)
        # The stored copies of the communication's fields follow it.
        comm.action_cancel()
        self.assertEqual(set(comm.line_ids.mapped("state")), {"cancelled"})
        self.assertEqual(comm.line_ids.mapped("cancelled"), [True, True])
        self.assertEqual(invoices.mapped("dunning_count"), [0, 0])
        self.assertFalse(invoices.dunning_stage_id)

    def test_bulk_insert_of_lines_wants_every_stored_value(self):
        """The run's bulk insert refuses rows that would store wrong values."""
        Line = self.env["dunning.communication.line"]
        with self.assertRaisesRegex(ValueError, "not a column"):
            Line._bulk_create([{"state": "draft"}])
        with self.assertRaisesRegex(ValueError, "give the computed values .*'company_id'"):
            Line._bulk_create([{"move_id": 1, "stage_id": 1, "currency_id": 1}])

    def test_repeating_a_run_the_same_day_sends_nothing_twice(self):
        self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
            self._run()
            self.env["dunning.run"].with_company(self.company).search([]).action_run()
        self.assertEqual(len(self._comms(self.customer)), 1)
        self.assertEqual(len(self._new_mails), 1)

    def test_daily_cron_climbs_the_stages_in_order(self):
        invoice = self._invoice(self.customer, 500.0, self._due(0))
        issued = {}
        with self.mock_mail_gateway():
            for day in range(-6, 95):
                on_date = self._due(day)
                with freeze_time(on_date):
                    self._trigger_daily_job()
                if invoice.dunning_stage_id and invoice.dunning_stage_id not in issued:
                    issued[invoice.dunning_stage_id] = (on_date - invoice.invoice_date_due).days
        self.assertEqual(
            [(stage.name, days) for stage, days in issued.items()],
            [
                ("Pre-reminder", -5),
                ("Reminder", 1),
                ("Call", 10),
                ("First letter", 20),
                ("Final letter", 60),
                ("Agency", 90),
            ],
        )
        comms = self._comms(self.customer)
        self.assertEqual(
            comms.mapped("channel"),
            ["email", "email", "call", "email", "letter", "email", "letter", "agency"],
        )
        call = comms.filtered(lambda c: c.channel == "call")
        self.assertEqual(call.activity_id.user_id, self.collector)
        self.assertEqual(
            call.activity_id.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertIn("Obtain a payment commitment", str(call.activity_id.note))
        # Each newer call, meeting or hand-over closed the ones before it:
        # only the hand-over's activity is open.
        open_activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(open_activities.dunning_communication_id.channel, "agency")
        self.assertFalse(call.activity_id.active, "closed, still linked to its call")
        self.assertTrue(
            self.customer.message_ids.filtered(
                lambda m: f"closed, replaced by {comms[-1].name}" in (m.body or "")
            )
        )
        self.assertEqual(self.customer.dunning_status, "agency")
        self.assertEqual(len(self.env["dunning.run"].search([("origin", "=", "cron")])), 101)

    def test_customer_who_pays_between_runs_is_not_reminded(self):
        invoice = self._invoice(self.customer, 400.0, self._due(-2))
        with self.mock_mail_gateway():
            self._run()
        self.assertEqual(self.customer.with_context(date=self.today).dunning_status, "collection")
        self._pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        with self.mock_mail_gateway():
            self._run(self._due(15))
        self.assertEqual(len(self._comms(self.customer)), 1, "no reminder after payment")
        self.assertFalse(self._new_mails)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.dunning_status, "ok")
        self.assertEqual(self.customer.dunning_overdue_amount, 0.0)

    def test_partially_paid_invoice_is_claimed_for_its_residual(self):
        invoice = self._invoice(self.customer, 1000.0, self._due(-3))
        self._pay(invoice, amount=300.0)
        self.assertEqual(invoice.payment_state, "partial")
        with self.mock_mail_gateway():
            self._run()
        line = self._comms(self.customer).line_ids
        self.assertEqual(
            (line.amount_total, line.amount_paid, line.amount_residual), (1000.0, 300.0, 700.0)
        )
        self.assertIn("700.00", self._new_mails.body_html)

    def test_credit_notes_drafts_and_excluded_invoices_are_never_dunned(self):
        self._invoice(self.customer, 100.0, self._due(-3), move_type="out_refund")
        self._invoice(self.customer, 100.0, self._due(-3), post=False)
        excluded = self._invoice(self.customer, 100.0, self._due(-3))
        excluded.dunning_excluded = True
        self._run()
        self.assertFalse(self._comms(self.customer))

    def test_open_credit_note_counts_against_the_threshold(self):
        self.policy.min_amount = 50.0
        self._invoice(self.customer, 100.0, self._due(-3))
        self._invoice(self.customer, 80.0, self._due(-3), move_type="out_refund")
        self._run()
        self.assertFalse(self._comms(self.customer), "net 20 is under the 50 threshold")
        self._invoice(self.customer, 100.0, self._due(-3))
        self._run(self._due(1))
        self.assertTrue(self._comms(self.customer), "net 120 is over the threshold")

    def test_foreign_currency_invoice_shows_its_own_currency(self):
        usd = self.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        invoice = self._invoice(self.customer, 250.0, self._due(-3), currency=usd)
        with self.mock_mail_gateway():
            self._run()
        comm = self._comms(self.customer)
        self.assertEqual(comm.line_ids.currency_id, usd)
        self.assertEqual(comm.line_ids.amount_residual, 250.0)
        self.assertAlmostEqual(comm.amount_residual, invoice.amount_residual_signed)
        self.assertIn("$", comm.amount_display)
        self.assertIn("250.00", self._new_mails.body_html)

    def test_daily_job_does_one_batch_a_call_manual_runs_first(self):
        """Odoo's scheduler commits after each call of the job: one batch each."""
        self.company.dunning_batch_size = 1
        customers = [self._create_customer(f"Lote{i} SL") for i in range(3)]
        for customer in customers:
            self._invoice(customer, 100.0, self._due(-3))
        cron = self.env.ref("account_dunning_es.ir_cron_dunning_run")
        Progress = self.env["ir.cron.progress"]
        with freeze_time(self.today):
            manual = self.env["dunning.run"].create(
                {"company_id": self.company.id, "date": self.today, "preview": True}
            )
            manual.action_run()
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
            self.assertEqual(manual.state, "draft", "nothing done in the request")
            cron.method_direct_trigger()
            self.assertEqual(
                (manual.state, manual.partner_done, manual.partner_total), ("running", 1, 3)
            )
            progress = Progress.search([("cron_id", "=", cron.id)], order="id desc", limit=1)
            self.assertEqual(progress.done, 1)
            self.assertGreaterEqual(progress.remaining, 2)
            cron.method_direct_trigger()
            cron.method_direct_trigger()
            self.assertEqual(manual.state, "done")
            self.assertFalse(manual.queued)
            self.assertEqual(len(manual.communication_ids), 3)
            self._trigger_daily_job()
        self.assertEqual(
            Progress.search([("cron_id", "=", cron.id)], order="id desc", limit=1).remaining, 0
        )

    def test_later_calls_read_the_customers_after_the_last_one_done(self):
        """After its first call, the daily job reads only the next batch's
        customers (in id order, not by name, and one more to know whether
        any remain): every customer once, none skipped, those paid during the
        run left out, those added during it reviewed."""
        self.company.dunning_batch_size = 2
        customers = [
            self._create_customer(name) for name in ("Zeta SL", "Alfa SL", "Mu SL", "Beta SL")
        ]
        invoices = [self._invoice(customer, 100.0, self._due(-3)) for customer in customers]
        Run = type(self.env["dunning.run"])
        original = Run._candidate_partner_ids
        reads = []

        def recording(run, claim_domain=None, after=0, limit=None):
            result = original(run, claim_domain, after=after, limit=limit)
            reads.append((after, limit, result))
            return result

        cron = self.env.ref("account_dunning_es.ir_cron_dunning_run")
        with freeze_time(self.today), patch.object(Run, "_candidate_partner_ids", recording):
            run = self.env["dunning.run"].create(
                {"company_id": self.company.id, "date": self.today, "preview": True}
            )
            run.action_run()
            cron.method_direct_trigger()
            ids = [customer.id for customer in customers]
            self.assertEqual(reads[0], (0, None, ids), "the first call counts them all")
            self.assertEqual((run.partner_done, run.partner_total), (2, 4))
            # During the run: the third customer pays, a new one owes.
            self._pay(invoices[2])
            newcomer = self._create_customer("Aaa Nuevo SL")
            self._invoice(newcomer, 100.0, self._due(-3))
            cron.method_direct_trigger()
            self.assertEqual(reads[1], (ids[1], 3, [ids[3], newcomer.id]))
            self.assertEqual(run.state, "done")
        self.assertEqual((run.partner_done, run.partner_total), (4, 4))
        reminded = run.communication_ids.partner_id
        self.assertEqual(reminded, customers[0] | customers[1] | customers[3] | newcomer)
        self.assertEqual(len(run.communication_ids), 4, "one reminder each")

    def test_daily_job_waits_when_another_run_holds_the_company(self):
        self._invoice(self.customer, 100.0, self._due(-3))
        cron = self.env.ref("account_dunning_es.ir_cron_dunning_run")
        Trigger = self.env["ir.cron.trigger"]
        with (
            freeze_time(self.today),
            patch.object(type(self.env["dunning.run"]), "_process_batch", lambda *a, **k: False),
        ):
            manual = self.env["dunning.run"].create(
                {"company_id": self.company.id, "date": self.today, "preview": True}
            )
            manual.action_run()
            Trigger.search([("cron_id", "=", cron.id)]).unlink()
            cron.method_direct_trigger()
        progress = self.env["ir.cron.progress"].search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )
        self.assertEqual(progress.done, 0, "no progress: the scheduler does not call again at once")
        self.assertGreaterEqual(progress.remaining, 1)
        self.assertEqual(manual.state, "running")
        self.assertIn("Another run is working on this company", manual.log)
        trigger = Trigger.search([("cron_id", "=", cron.id)])
        self.assertEqual(len(trigger), 1, "back in a moment")
        self.assertEqual(trigger.call_at, datetime(2026, 3, 2, 0, 2))

    def test_interrupted_run_resumes_without_duplicates_or_gaps(self):
        self.company.dunning_batch_size = 1
        customers = [self._create_customer(f"Cliente{i} SL") for i in range(4)]
        for customer in customers:
            self._invoice(customer, 100.0, self._due(-3))
        original = type(self.env["dunning.run"])._plan_batch
        calls = []

        def crash_on_third_batch(run, partner_ids, **kwargs):
            calls.append(partner_ids)
            result = original(run, partner_ids, **kwargs)
            if len(calls) == 3:
                raise RuntimeError("worker killed")
            return result

        with freeze_time(self.today), self.mock_mail_gateway():
            run = self.env["dunning.run"].create({"date": self.today, "preview": False})
            # Not assertRaises: Odoo's rolls back to a savepoint, and the
            # batches done before the crash must stay, as if committed.
            with patch.object(type(run), "_plan_batch", crash_on_third_batch):
                try:
                    run._execute()
                except RuntimeError:
                    crashed = True
            self.assertTrue(crashed)
            self.assertEqual(run.state, "running")
            self.assertEqual(
                len(
                    self._comms(partner=None).partner_id & self.env["res.partner"].union(*customers)
                ),
                2,
            )
            run._execute()
        self.assertEqual(run.state, "done")
        for customer in customers:
            self.assertEqual(len(self._comms(customer)), 1, customer.name)
        # The mail of the crashed batch was rolled back with it: four remain.
        self.assertEqual(len(self._new_mails.exists()), 4)

    def test_database_refuses_the_same_stage_twice_for_an_invoice(self):
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        self._run()
        comm = self._comms(self.customer)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            with self.env.cr.savepoint():
                # The same reminder recorded a second time (copy() is refused).
                self.env["dunning.communication"].create(
                    dict(
                        comm.copy_data()[0],
                        line_ids=[
                            (
                                0,
                                0,
                                {
                                    "move_id": invoice.id,
                                    "stage_id": self.stage_reminder.id,
                                    "cycle": 0,
                                    "currency_id": invoice.currency_id.id,
                                },
                            )
                        ],
                    )
                )
                self.env.flush_all()

    def test_run_takes_no_more_queries_with_more_invoices(self):
        def measure(invoices_per_customer, day):
            customers = [
                self._create_customer(f"Q{invoices_per_customer}x{i} SL") for i in range(3)
            ]
            for customer in customers:
                for n in range(invoices_per_customer):
                    self._invoice(customer, 100.0 + n, self._due(-3 - n))
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time(self.today):
                run = self.env["dunning.run"].create({"date": self.today, "preview": False})
                run.invalidate_recordset()
                start = self.env.cr.sql_log_count
                run._execute()
                count = self.env.cr.sql_log_count - start
            # Exclude the customers from the next measure.
            self.env["res.partner"].union(*customers).dunning_excluded = True
            return count

        with self.mock_mail_gateway():
            few = measure(1, 0)
            many = measure(8, 1)
        self.assertLessEqual(many, few + 5, f"1 invoice each: {few} queries; 8 each: {many}")

    def test_multi_company_runs_stay_in_their_company(self):
        company_b = self.setup_other_company(name="Empresa B")["company"]
        policy_b = self._create_policy(company_b, "Policy B")
        company_b.dunning_policy_id = policy_b
        invoice_a = self._invoice(self.customer, 100.0, self._due(-3))
        invoice_b = self._invoice(self.customer, 900.0, self._due(-3), company=company_b)
        run = self._run()
        comm = self._comms(self.customer)
        self.assertEqual(comm.line_ids.move_id, invoice_a)
        self.assertEqual(comm.stage_id.policy_id, self.policy)
        self.assertFalse(invoice_b.dunning_stage_id)
        self.assertEqual(run.company_id, self.company)
        run_b = self._run(company=company_b)
        comm_b = self._comms(self.customer, company_id=company_b.id)
        self.assertEqual(comm_b.line_ids.move_id, invoice_b)
        self.assertEqual(comm_b.stage_id.policy_id, policy_b)
        self.assertEqual(run_b.communication_ids, comm_b)
        # A collector of company A does not see company B's history.
        visible = (
            self._comms(self.customer)
            .with_user(self.collector)
            .search([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(visible, comm)

    def test_a_new_company_gets_a_copy_of_the_main_company_policies(self):
        main = self.env.ref("base.main_company")
        # The shipped policies live in the main company, which this user
        # (the test company's accountant) does not work in.
        sme = self.env.ref("account_dunning_es.dunning_policy_sme").sudo()
        large = self.env.ref("account_dunning_es.dunning_policy_large").sudo()
        large.chronic_policy_id = sme
        sme.promise_broken_stage_id = sme.stage_ids[2]
        shipped = self.env["dunning.policy"].sudo().search([("company_id", "=", main.id)])
        company_c = self.setup_other_company(name="Empresa C")["company"]

        copies = self.env["dunning.policy"]._copy_to_company(company_c)

        self.assertEqual(len(copies), len(shipped))
        self.assertEqual(copies.company_id, company_c)
        segment = self.env.ref("account_dunning_es.dunning_segment_sme")
        sme_c = segment.with_company(company_c).policy_id
        self.assertIn(sme_c, copies)
        self.assertEqual(
            segment.sudo().with_company(main).policy_id, sme, "the main company keeps its own"
        )
        self.assertEqual(
            sme_c.stage_ids.sorted("sequence").mapped(lambda s: (s.name, s.offset_days, s.tone)),
            sme.stage_ids.sorted("sequence").mapped(lambda s: (s.name, s.offset_days, s.tone)),
        )
        self.assertNotEqual(sme_c.stage_ids, sme.stage_ids)
        self.assertEqual(sme_c.promise_broken_stage_id, sme_c.stage_ids[2])
        large_c = (
            self.env.ref("account_dunning_es.dunning_segment_large")
            .with_company(company_c)
            .policy_id
        )
        self.assertEqual(large_c.chronic_policy_id, sme_c, "chronic payers' policy mapped too")
        # The new company dunns its customers with its own copies.
        customer = self._create_customer("Cliente Empresa C SL", dunning_segment_id=segment.id)
        self._invoice(customer, 500.0, self._due(-40), company=company_c)
        self._run(company=company_c)
        comm = self._comms(customer, company_id=company_c.id)
        self.assertTrue(comm)
        self.assertEqual(comm.stage_id.policy_id, sme_c)
        with self.assertRaisesRegex(UserError, "already has dunning policies"):
            self.env["dunning.policy"]._copy_to_company(company_c)

    def test_segment_policy_chooses_the_channels(self):
        segment = self.env.ref("account_dunning_es.dunning_segment_strategic")
        strategic = self._create_policy(self.company, "Strategic test")
        strategic.stage_ids.filtered(lambda s: s.name == "Reminder").write(
            {"send_email": False, "call_action": "meeting", "call_objective": "barriers"}
        )
        segment.with_company(self.company).policy_id = strategic
        self.customer.dunning_segment_id = segment
        self._invoice(self.customer, 100.0, self._due(-3))
        self._run()
        comm = self._comms(self.customer)
        self.assertEqual(comm.stage_id.policy_id, strategic)
        self.assertEqual(comm.channel, "meeting")
        self.assertEqual(
            comm.activity_id.activity_type_id, self.env.ref("mail.mail_activity_data_meeting")
        )
        self.assertEqual(self.customer.dunning_policy_id, strategic)

    def test_handed_over_customer_gets_no_friendly_message_for_new_invoices(self):
        """Pre-reminders went to a customer at the agency."""
        old = self._invoice(self.customer, 900.0, self._due(-100))
        old._dunning_write({"dunning_stage_id": self.stage_final.id})
        self._run()
        self.assertEqual(self._comms(self.customer).channel, "agency")
        self.assertEqual(self.customer.dunning_status, "agency")
        soon = self._invoice(self.customer, 100.0, self._due(5))
        late = self._invoice(self.customer, 200.0, self._due(-12))
        for day in range(1, 8):
            self._run(fields.Date.add(self.today, days=day))
        self.assertEqual(len(self._comms(self.customer)), 1, "no pre-reminder, reminder nor call")
        # 20 days overdue: the first firm stage, the first letter.
        self._run(fields.Date.add(self.today, days=8))
        new = self._comms(self.customer)[1:]
        self.assertEqual(set(new.mapped("channel")), {"email", "letter"})
        self.assertEqual(new.stage_id, self.stage_letter1)
        self.assertEqual(new.line_ids.move_id, late)
        self.assertFalse(soon.dunning_stage_id)
        # Another customer, not handed over, still gets its friendly reminder.
        self._invoice(self.customer_2, 100.0, self._due(-3))
        self._run(fields.Date.add(self.today, days=9))
        self.assertEqual(self._comms(self.customer_2).stage_id, self.stage_reminder)

    def test_partner_status_fields(self):
        self._invoice(self.customer, 100.0, self._due(-12))
        self._invoice(self.customer, 50.0, self._due(3))
        with freeze_time(self.today):
            partner = self.customer.with_context(date=self.today)
            partner.invalidate_recordset()
            self.assertEqual(partner.dunning_status, "overdue")
            self.assertEqual(partner.dunning_overdue_amount, 100.0)
            self.assertEqual(partner.dunning_days_overdue, 12)
            self.assertEqual(partner.dunning_oldest_due_date, self._due(-12))
            self.assertEqual(partner.dunning_next_action_date, self.today)
            self.assertEqual(partner.dunning_responsible_id, self.collector)
            self.assertIn(
                partner, self.env["res.partner"].search([("dunning_status", "=", "overdue")])
            )
            self._run()
            partner.invalidate_recordset()
            self.assertEqual(partner.dunning_status, "collection")
            self.assertEqual(partner.dunning_stage_id, self.stage_reminder)
            self.assertEqual(partner.dunning_next_action_date, fields.Date.add(self.today, days=2))
            self.assertNotIn(
                partner, self.env["res.partner"].search([("dunning_status", "=", "ok")])
            )

    def test_spanish_customer_gets_the_reminder_in_spanish(self):
        self._activate_spanish()
        self.customer.lang = "es_ES"
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        body = self._new_mails.body_html
        self.assertIn("Según nuestros registros, las siguientes facturas están vencidas", body)
        self.assertIn("Días de retraso", body)
        self.assertIn(invoice.name, body)
        # The message is on the customer's chatter.
        self.assertEqual(self._new_mails.mail_message_id.res_id, self.customer.id)
        self.assertIn(self._new_mails.mail_message_id, self.customer.message_ids)

    def test_email_body_is_the_template_body_in_each_language(self):
        """The shipped body is rendered by calling its view: same HTML as the template's."""
        self._activate_spanish()
        self.customer_2.lang = "es_ES"
        self._invoice(self.customer, 100.0, self._due(-3))
        self._invoice(self.customer_2, 200.0, self._due(-3))
        self._run(preview=True)
        comms = self._comms()
        self.assertEqual(comms.partner_id, self.customer + self.customer_2)
        template = self.env.ref("account_dunning_es.mail_template_dunning_reminder")
        self.assertEqual(
            sole_t_call(template.body_html)[1], "account_dunning_es.dunning_email_body"
        )
        bodies = comms._render_email_bodies(template)
        expected = template._generate_template(comms.ids, ("body_html",))
        for comm in comms:
            self.assertEqual(str(bodies[comm.id]), str(expected[comm.id]["body_html"]))
        by_partner = {comm.partner_id: bodies[comm.id] for comm in comms}
        self.assertIn("the following invoices are overdue", by_partner[self.customer])
        self.assertIn("las siguientes facturas están vencidas", by_partner[self.customer_2])

    def test_an_edited_template_body_is_the_one_sent(self):
        template = self.env.ref("account_dunning_es.mail_template_dunning_reminder")
        template.body_html = (
            '<div><p>Estimado cliente, le rogamos pague <t t-out="object.name"/>.</p>'
            '<t t-call="account_dunning_es.dunning_email_body"/></div>'
        )
        self.assertFalse(sole_t_call(template.body_html))
        self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        comm = self._comms(self.customer)
        body = self._new_mails.body_html
        self.assertIn(f"Estimado cliente, le rogamos pague {comm.name}.", body)
        self.assertIn("the following invoices are overdue", body)

    def test_a_body_calling_a_missing_view_is_never_sent_empty(self):
        template = self.env.ref("account_dunning_es.mail_template_dunning_reminder")
        template.body_html = '<div><t t-call="account_dunning_es.no_such_view"/></div>'
        self._invoice(self.customer, 100.0, self._due(-3))
        self._run(preview=True)
        comms = self._comms(self.customer)
        with (
            self.assertRaises(Exception) as raised,
            mute_logger("odoo.addons.mail.models.mail_render_mixin"),
        ):
            comms._render_email_bodies(template)
        self.assertIn("no_such_view", str(raised.exception))

    # ------------------------------------------------------------------
    # The daily run reads only the invoices that may reach a stage
    # ------------------------------------------------------------------
    def _assorted_invoices(self):
        """Invoices at every stage, reminded at various dates, some unwilling."""
        unwilling = self._create_customer("Moroso Evasivo SL", dunning_reason="unwilling")
        # A chronic payers' policy of its own, with other gaps and grace days.
        strict = self._create_policy(self.company, "Strict", min_days_between=5, grace_days=3)
        self.policy.chronic_policy_id = strict
        chronic = self._create_customer("Pagador Crónico SL")
        chronic.dunning_behaviour = "chronic"
        stages = [False, *self.stages.ids, *strict.stage_ids.ids]
        invoices = self.env["account.move"]
        for index, due_offset in enumerate(range(-70, 9, 3)):
            for partner in (self.customer, unwilling, chronic):
                invoice = self._invoice(partner, 100.0 + index, self._due(due_offset))
                stage = stages[(index + partner.id) % len(stages)]
                last = None if not stage else self._due(-(index % 7))
                invoice._dunning_write({"dunning_stage_id": stage, "dunning_last_date": last})
                invoices |= invoice
        invoices[::5].dunning_reason = "unwilling"
        return invoices

    def test_claim_domain_matches_the_claim_bounds(self):
        """The domain is the SQL form of engine_rules.may_reach_stage."""
        invoices = self._assorted_invoices()
        run = self.env["dunning.run"].create({"company_id": self.company.id, "date": self.today})
        policies = self.env["dunning.policy"].search([("company_id", "=", self.company.id)])
        bounds = rules.claim_bounds(
            [s for policy in policies for s in policy._stage_infos()],
            set(policies.stage_ids.mapped("sequence")),
            policies.mapped("min_days_between"),
            policies.mapped("grace_days"),
        )
        matched = invoices.filtered_domain(run._claim_bounds_domain())
        expected = invoices.filtered(
            lambda move: rules.may_reach_stage(
                bounds,
                move.dunning_stage_id.sequence if move.dunning_stage_id else None,
                rules.days_overdue(move.invoice_date_due, self.today),
                (self.today - move.dunning_last_date).days if move.dunning_last_date else None,
                "unwilling" in (move.dunning_reason, move.commercial_partner_id.dunning_reason),
            )
        )
        self.assertEqual(matched, expected)
        # ...and the database returns the same as the in-memory filter.
        self.assertEqual(
            self.env["account.move"].search(
                [("id", "in", invoices.ids)] + run._claim_bounds_domain()
            ),
            expected,
        )
        self.assertTrue(0 < len(expected) < len(invoices), "some invoices are left out, not all")

    def test_daily_runs_remind_the_same_with_or_without_claim_domain(self):
        """Two months of daily runs: the same reminders as reading every invoice."""
        self._assorted_invoices()
        self.customer_2.dunning_reason = "unwilling"
        self._invoice(self.customer_2, 900.0, self._due(-15))
        # Called two days ago: nothing to do until its first letter is due,
        # 20 days after the due date, then until the final one.
        waiting = self._create_customer("Cliente Paciente SL")
        self._invoice(waiting, 500.0, self._due(-12))._dunning_write(
            {"dunning_stage_id": self.stage_call.id, "dunning_last_date": self._due(-2)}
        )

        def replay():
            reminders, reviewed = [], 0
            for day in range(0, 60, 2):
                run = self._run(on_date=self._due(day), preview=True)
                reviewed += run.partner_total
                reminders += sorted(
                    (
                        str(c.date),
                        c.partner_id.id,
                        c.stage_id.id,
                        c.channel,
                        tuple(sorted(c.line_ids.move_id.ids)),
                    )
                    for c in run.communication_ids
                )
            return reminders, reviewed

        class Rollback(Exception):
            pass

        try:
            with self.env.cr.savepoint():
                bounded, bounded_reviewed = replay()
                raise Rollback
        except Rollback:
            self.env.invalidate_all()
        with patch.object(type(self.env["dunning.run"]), "_claim_bounds_domain", lambda run: None):
            everything, everything_reviewed = replay()
        self.assertGreater(len(bounded), 30)
        self.assertEqual(bounded, everything)
        self.assertIn(
            (str(self._due(8)), waiting.id, self.stage_letter1.id, "email"),
            [reminder[:4] for reminder in bounded],
        )
        self.assertLess(bounded_reviewed, everything_reviewed, "fewer customers read")


@tagged("post_install", "-at_install")
class TestRunScales(TransactionCase):
    def test_a_customers_invoices_are_read_through_an_index(self):
        """The batches read the invoices of 500 customers at a time
        (their moves, open balances, hand-overs); without an index on the
        commercial entity each read scanned the whole table (about 200 ms at
        1,000,000 moves), and a batch cost twice as much there as at 50,000.
        The plan of such a read uses the index once the table is large."""
        self.assertTrue(index_exists(self.env.cr, "account_move__commercial_partner_id_index"))
        self.env.cr.execute("SET LOCAL enable_seqscan = off")  # as on a large table
        self.addCleanup(self.env.cr.execute, "SET LOCAL enable_seqscan = on")
        self.env.cr.execute(
            "EXPLAIN SELECT id FROM account_move WHERE commercial_partner_id IN %s",
            [tuple(self.env["res.partner"].search([], limit=500).ids) or (0,)],
        )
        plan = " ".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("account_move__commercial_partner_id_index", plan)
