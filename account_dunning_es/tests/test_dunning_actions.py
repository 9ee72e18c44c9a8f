# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.modules.migration import load_script
from odoo.tests import tagged
from odoo.tools.misc import file_path

from ..infrastructure import sql_builders
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningActions(DunningCommon):
    def test_preview_run_prepares_drafts_then_sends_them(self):
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            run = self._run(preview=True)
            comm = self._comms(self.customer)
            self.assertEqual(comm.state, "draft")
            self.assertFalse(self._new_mails, "nothing leaves before review")
            self.assertEqual(run.draft_count, 1)
            self._run(self._due(1))
            self.assertEqual(len(self._comms(self.customer)), 1, "a draft holds the stage")
            # As in production: the tests' context disables tracking.
            run.with_context(tracking_disable=False, mail_notrack=False).action_send_drafts()
            self.flush_tracking()
        self.assertEqual(comm.state, "sent")
        self.assertTrue(comm.sent_date)
        self.assertEqual(invoice.dunning_stage_id, self.stage_reminder)
        self.assertMailMail(self.customer, "outgoing", content=invoice.name)
        # Sending thousands of drafts writes no "Draft -> Issued" message on
        # each: the email on the customer's chatter is the trace.
        self.assertFalse(comm.message_ids.tracking_value_ids)
        self.assertEqual(comm.message_id.res_id, self.customer.id)

    def test_cancelling_a_draft_puts_the_invoice_back(self):
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        invoice._dunning_write(
            {"dunning_stage_id": self.stage_pre.id, "dunning_last_date": self._due(-8)}
        )
        invoice._dunning_add_count(1)
        self._run(preview=True)
        comm = self._comms(self.customer)
        self.assertEqual(
            (invoice.dunning_stage_id, invoice.dunning_count), (self.stage_reminder, 2)
        )
        comm.action_cancel()
        self.assertEqual(comm.state, "cancelled")
        self.assertEqual(invoice.dunning_stage_id, self.stage_pre)
        self.assertEqual(invoice.dunning_last_date, self._due(-8))
        self.assertEqual(invoice.dunning_count, 1)
        with self.assertRaises(UserError):
            comm.action_send()
        self._run()
        self.assertEqual(len(self._comms(self.customer).filtered(lambda c: c.state == "sent")), 1)

    def test_update_flags_lines_cancelled_before_the_flag_existed(self):
        """18.0.1.1.0: lines of communications cancelled earlier are flagged
        before the unique index is built again."""
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        self._run(preview=True)
        cancelled = self._comms(self.customer)
        cancelled.action_cancel()
        self._run(preview=True)
        reissued = self._comms(self.customer) - cancelled
        self.assertEqual(reissued.line_ids.move_id, invoice)
        self.assertEqual(reissued.stage_id, cancelled.stage_id)
        # As a database of 18.0.1.0.0 had them: no flag, the old index gone.
        cr = self.env.cr
        cr.execute("DROP INDEX dunning_communication_line_once_idx")
        cr.execute(
            "UPDATE dunning_communication_line SET cancelled = NULL WHERE communication_id = %s",
            [cancelled.id],
        )
        migration = load_script(
            file_path("account_dunning_es/migrations/18.0.1.1.0/pre-migration.py"),
            "account_dunning_es",
        )
        migration.migrate(cr, "18.0.1.0.0")
        self.env["dunning.communication.line"].init()
        cancelled.line_ids.invalidate_recordset(["cancelled"])
        self.assertTrue(cancelled.line_ids.cancelled)
        self.assertFalse(reissued.line_ids.cancelled)
        cr.execute(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'dunning_communication_line_once_idx'"
        )
        self.assertTrue(cr.fetchone())

    def _move_indexes_on(self, columns):
        """{index name: definition} of account_move's indexes naming one of
        ``columns`` (as a column, in an expression or in a condition)."""
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'account_move'"
        )
        return {
            name: definition
            for name, definition in self.env.cr.fetchall()
            if any(re.search(rf"(?<!\w){column}(?!\w)", definition) for column in columns)
        }

    def test_claiming_invoices_touches_no_indexed_column(self):
        """A run updates these columns on every invoice it claims; were one of
        them indexed, PostgreSQL could not update the rows in place (HOT) and
        would add an entry to every index of account_move for each invoice."""
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        stage_by_move = {invoice.id: self.stage_reminder.id}
        claim = sql_builders.claim_moves(stage_by_move, self.today, self.env.uid).code
        for column in sql_builders.CLAIMED_MOVE_COLUMNS:
            self.assertIn(f"{column} = ", claim)
        self.assertEqual(self._move_indexes_on(sql_builders.CLAIMED_MOVE_COLUMNS), {})
        self.env["account.move"]._dunning_claim(stage_by_move, self.today)
        self.assertEqual(
            (invoice.dunning_stage_id, invoice.dunning_last_date, invoice.dunning_count),
            (self.stage_reminder, self.today, 1),
        )

    def test_communications_of_a_deleted_message_are_found_by_index(self):
        """Deleting a message, an activity or an attachment makes PostgreSQL
        look for the communications pointing to it: each link is indexed,
        not a scan of every communication for each record deleted."""
        self.env.cr.execute(
            """
            SELECT a.attname, c.confrelid::regclass::text,
                   EXISTS (SELECT 1 FROM pg_index i
                            WHERE i.indrelid = c.conrelid AND i.indkey[0] = a.attnum)
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.conrelid = 'dunning_communication'::regclass
               AND c.confrelid::regclass::text IN ('mail_message', 'mail_activity', 'ir_attachment')
            """
        )
        links = {column: (table, indexed) for column, table, indexed in self.env.cr.fetchall()}
        self.assertEqual(
            links,
            {
                "message_id": ("mail_message", True),
                "activity_id": ("mail_activity", True),
                "letter_attachment_id": ("ir_attachment", True),
            },
        )
        self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        comm = self._comms(self.customer)
        self.assertTrue(comm.message_id)
        comm.message_id.unlink()
        comm.invalidate_recordset(["message_id"])
        self.assertFalse(comm.message_id)
        self.assertEqual(comm.state, "sent", "the communication stays, without its message")

    def test_update_drops_the_index_on_the_invoices_stage(self):
        """18.0.1.8.0: the index of earlier versions on the invoices' stage
        is dropped (Odoo keeps an index a field no longer asks for)."""
        cr = self.env.cr
        cr.execute(
            "CREATE INDEX account_move__dunning_stage_id_index ON account_move "
            "(dunning_stage_id) WHERE dunning_stage_id IS NOT NULL"
        )
        self.assertTrue(self._move_indexes_on(["dunning_stage_id"]))
        migration = load_script(
            file_path("account_dunning_es/migrations/18.0.1.8.0/post-migration.py"),
            "account_dunning_es",
        )
        migration.migrate(cr, "18.0.1.7.0")
        self.assertEqual(self._move_indexes_on(["dunning_stage_id"]), {})
        # Run again (an update interrupted and resumed): nothing to drop.
        migration.migrate(cr, "18.0.1.7.0")

    def test_send_now_issues_the_next_stage_at_once(self):
        invoice = self._invoice(self.customer, 100.0, self._due(-2))
        self._run()
        self.assertEqual(invoice.dunning_stage_id, self.stage_reminder)
        action = self.env.ref("account_dunning_es.action_partner_dunning_send_now")
        with freeze_time(self.today), self.mock_mail_gateway():
            result = action.with_context(
                active_model="res.partner", active_ids=self.customer.ids, active_id=self.customer.id
            ).run()
        self.assertEqual(result["res_model"], "dunning.run")
        self.assertEqual(invoice.dunning_stage_id, self.stage_call, "next stage, date ignored")
        self.assertEqual(self._comms(self.customer)[-1].channel, "call")

    def test_send_now_on_invoices_only_claims_those(self):
        first = self._invoice(self.customer, 100.0, self._due(-2))
        second = self._invoice(self.customer, 100.0, self._due(-2))
        with freeze_time(self.today), self.mock_mail_gateway():
            first.action_dunning_send_now()
        self.assertEqual(self._comms(self.customer).line_ids.move_id, first)
        self.assertFalse(second.dunning_stage_id)

    def test_excluded_customer_gets_nothing_and_shows_why(self):
        self._invoice(self.customer, 100.0, self._due(-3))
        action = self.customer.action_dunning_exclude()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.reason = "Concurso de acreedores"
        wizard.action_confirm()
        self.assertTrue(self.customer.dunning_excluded)
        self.assertEqual(self.customer.dunning_exclusion_reason, "Concurso de acreedores")
        self._run()
        self.assertFalse(self._comms(self.customer))
        self.assertEqual(self.customer.dunning_status, "excluded")
        self.customer.action_dunning_include()
        self._run(self._due(1))
        self.assertTrue(self._comms(self.customer))

    def test_reset_stage_starts_a_new_cycle(self):
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        self._run()
        self.customer.action_dunning_reset()
        self.assertFalse(invoice.dunning_stage_id)
        self.assertEqual(invoice.dunning_cycle, 1)
        self._run(self._due(3))
        reminders = self._comms(self.customer).filtered(lambda c: c.stage_id == self.stage_reminder)
        self.assertEqual(len(reminders), 2, "the reminder is issued again in the new cycle")
        self.assertEqual(reminders.line_ids.mapped("cycle"), [0, 1])

    def test_send_now_refuses_non_customer_invoices(self):
        refund = self._invoice(self.customer, 100.0, self._due(-3), move_type="out_refund")
        with self.assertRaises(UserError):
            refund.action_dunning_send_now()
