# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Both add-ons together: the shipped mass-debts policy reminds by email and SMS."""

from datetime import date, datetime

from e2e_case import CrossModuleCase
from freezegun import freeze_time

from odoo import Command
from odoo.addons.mail.tests.common import MailCase
from odoo.addons.sms.tests.common import SMSCase


class TestMassDebtsEmailAndSms(CrossModuleCase, MailCase, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Cliente Masivo",
                "email": "masivo@example.com",
                "mobile": "655 123 456",
                "street": "Calle Mayor 1",
                "zip": "28013",
                "city": "Madrid",
                "country_id": cls.env.ref("base.es").id,
                "dunning_segment_id": cls.env.ref("account_dunning_es.dunning_segment_mass").id,
            }
        )
        journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "journal_id": journal.id,
                "invoice_date": date(2026, 2, 1),
                "invoice_date_due": date(2026, 3, 1),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Cuota", "quantity": 1, "price_unit": 45.0, "tax_ids": []}
                    )
                ],
            }
        )
        cls.invoice.action_post()

    def test_daily_cron_sends_the_reminder_by_email_and_sms(self):
        with (
            freeze_time(datetime(2026, 3, 2, 11, 0)),
            self.mock_mail_gateway(),
            self.mockSMSGateway(),
        ):
            self.trigger_daily_job()
            self.env["sms.sms"].sudo()._process_queue()
        comms = self.customer.dunning_communication_ids
        self.assertEqual(sorted(comms.mapped("channel")), ["email", "sms"])
        self.assertEqual(set(comms.mapped("state")), {"sent"})
        self.assertEqual(comms.stage_id, self.env.ref("account_dunning_es.dunning_stage_mass_2"))
        self.assertSMSIapSent(["+34655123456"])
        self.assertIn(self.invoice.name, self._sms[0]["body"])
        self.assertMailMail(self.customer, "outgoing", content=self.invoice.name)
