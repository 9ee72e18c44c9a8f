# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningBadData(DunningCommon):
    def test_customer_without_email_fails_with_reason_and_others_are_sent(self):
        self.customer.email = False
        self._invoice(self.customer, 100.0, self._due(-3))
        self._invoice(self.customer_2, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            run = self._run()
        failed = self._comms(self.customer)
        self.assertEqual(failed.state, "failed")
        self.assertIn("has no email address", failed.failure_reason)
        self.assertEqual(self._comms(self.customer_2).state, "sent")
        self.assertEqual((run.state, run.failed_count, run.sent_count), ("done", 1, 1))
        self.assertMailMail(self.customer_2, "outgoing")
        self.assertNotIn(self.customer, self._new_mails.recipient_ids)

    def test_failed_communication_is_sent_on_retry_once_fixed(self):
        self.customer.email = False
        invoice = self._invoice(self.customer, 100.0, self._due(-3))
        self._run()
        comm = self._comms(self.customer)
        self.assertEqual(invoice.dunning_stage_id, self.stage_reminder, "the stage is held")
        self._run(self._due(1))
        self.assertEqual(len(self._comms(self.customer)), 1, "not recreated every day")
        self.customer.email = "talleres@example.com"
        with self.mock_mail_gateway():
            comm.action_send()
        self.assertEqual((comm.state, comm.failure_reason), ("sent", False))
        self.assertMailMail(self.customer, "outgoing", content=invoice.name)

    def test_archived_customer_fails_with_reason(self):
        self._invoice(self.customer, 100.0, self._due(-3))
        self.customer.action_archive()
        self._run()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "failed")
        self.assertIn("archived", comm.failure_reason)

    def test_call_without_any_phone_fails_with_reason(self):
        self.customer.phone = False
        invoice = self._invoice(self.customer, 100.0, self._due(-12))
        invoice._dunning_write({"dunning_stage_id": self.stage_reminder.id})
        self._run()
        comm = self._comms(self.customer)
        self.assertEqual((comm.channel, comm.state), ("call", "failed"))
        self.assertIn("No phone number", comm.failure_reason)
        self.assertFalse(comm.activity_id)

    def test_letter_without_postal_address_fails_with_reason(self):
        self.customer.street = False
        invoice = self._invoice(self.customer, 100.0, self._due(-22))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        with self.mock_mail_gateway():
            self._run()
        comms = self._comms(self.customer)
        self.assertEqual(comms.mapped("channel"), ["email", "letter"])
        self.assertEqual(comms.mapped("state"), ["sent", "failed"])
        self.assertIn("postal address", comms[1].failure_reason)

    def test_invoice_address_contact_receives_the_email(self):
        billing = self.env["res.partner"].create(
            {
                "name": "Contabilidad",
                "type": "invoice",
                "parent_id": self.customer.id,
                "email": "facturas@example.com",
            }
        )
        self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        self.assertEqual(self._comms(self.customer).recipient_id, billing)
        self.assertMailMail(billing, "outgoing")

    def test_no_policy_is_logged_on_the_run(self):
        self.company.dunning_policy_id = False
        self._invoice(self.customer, 100.0, self._due(-3))
        run = self._run()
        self.assertFalse(self._comms(self.customer))
        self.assertIn("No dunning policy applies", run.log)

    def test_communications_cannot_be_duplicated(self):
        """Duplicate gave a draft claiming nothing."""
        self._invoice(self.customer, 100.0, self._due(-15))
        self._run()
        comm = self._comms(self.customer)
        self.assertEqual(len(comm), 1)
        with self.assertRaises(UserError):
            comm.copy()
        arch = self.env["dunning.communication"].get_views([(False, "form"), (False, "list")])
        for view in ("form", "list"):
            self.assertIn('create="0"', arch["views"][view]["arch"])
        self.assertIn('duplicate="0"', arch["views"]["form"]["arch"])

    def test_a_communication_without_invoices_is_never_issued(self):
        comm = self.env["dunning.communication"].create(
            {"partner_id": self.customer.id, "stage_id": self.stage_call.id, "channel": "call"}
        )
        comm.action_send()
        self.assertEqual(comm.state, "failed")
        self.assertIn("claims no invoice", comm.failure_reason)
        self.assertFalse(
            self.env["mail.activity"].search([("dunning_communication_id", "=", comm.id)]),
            "no 'Collection call ()' activity",
        )

    def test_every_channel_has_its_issuer_and_an_unknown_one_is_an_error(self):
        Comm = self.env["dunning.communication"]
        channels = {key for key, _label in Comm._fields["channel"].selection}
        self.assertEqual(set(Comm._issuers()), channels)
        self._invoice(self.customer, 100.0, self._due(-3))
        self._run(preview=True)
        draft = self._comms(self.customer)
        with patch.object(type(Comm), "_issuers", lambda self: {}), self.assertRaises(UserError):
            draft.action_send()
        self.assertEqual(draft.state, "draft", "nothing issued by default, e.g. as an activity")
