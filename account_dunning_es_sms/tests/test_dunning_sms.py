# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.account_dunning_es.tests.common import DunningCommon
from odoo.addons.sms.tests.common import SMSCase
from odoo.tests import Form, tagged
from odoo.tools import html2plaintext, safe_eval

MONDAY_NOON = datetime(2026, 3, 2, 11, 0)  # 12:00 in Madrid
MONDAY_NIGHT = datetime(2026, 3, 2, 21, 30)  # 22:30 in Madrid


@tagged("post_install", "-at_install")
class TestDunningSms(DunningCommon, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sms_template = cls.env.ref("account_dunning_es_sms.sms_template_dunning_reminder")
        cls.stage_reminder.write(
            {"send_email": False, "send_sms": True, "sms_template_id": cls.sms_template.id}
        )
        cls.customer.write({"mobile": "612 345 678", "phone": "912 000 000"})
        cls.customer_2.write({"mobile": "0034 699 111 222", "phone": False})

    def _sms_run(self, at=MONDAY_NOON, on_date=None):
        with freeze_time(at), self.mockSMSGateway():
            run = self._run(on_date or at.date(), at=at)
            self.env["sms.sms"].sudo()._process_queue()
        return run

    def test_sms_reminder_is_sent_to_the_normalised_mobile(self):
        invoice = self._invoice(self.customer, 1210.0, date(2026, 2, 27))
        self._sms_run()
        comm = self._comms(self.customer)
        self.assertEqual(
            (comm.channel, comm.state, comm.sms_number), ("sms", "sent", "+34612345678")
        )
        self.assertSMSIapSent(["+34612345678"])
        sent = self._sms[0]["body"]
        self.assertIn("1,210.00", sent)
        self.assertIn("1 invoice(s)", sent)
        self.assertIn(invoice.name, sent)
        self.assertIn("+34 910 000 111", sent, "the collector's phone")
        self.assertEqual(comm.sms_status, "sent")
        self.assertIn(comm.message_id, self.customer.message_ids, "on the customer's chatter")

    def test_no_duplicate_sms_on_repeated_runs(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        self._invoice(self.customer_2, 100.0, date(2026, 2, 27))
        self._sms_run()
        self._sms_run()
        self._sms_run(at=datetime(2026, 3, 3, 11, 0), on_date=date(2026, 3, 2))
        self.assertEqual(len(self._comms().filtered(lambda c: c.channel == "sms")), 2)
        self.assertEqual(
            self.env["sms.sms"]
            .sudo()
            .search_count([("number", "in", ["+34612345678", "+34699111222"])]),
            2,
        )

    def test_sms_days_are_chosen_with_a_checkbox_each(self):
        with Form(self.env["res.config.settings"].with_company(self.company)) as settings:
            self.assertTrue(settings.dunning_sms_monday)
            self.assertFalse(settings.dunning_sms_saturday, "Monday to Friday by default")
            settings.dunning_sms_friday = False
            settings.dunning_sms_saturday = True
        self.assertEqual(self.company.dunning_sms_weekdays, "0,1,2,3,5")
        view = self.env.ref("account_dunning_es_sms.res_config_settings_view_form")
        self.assertNotIn("Monday = 0", view.arch_db, "no numbers to type")

    def test_sms_outside_quiet_hours_waits_and_is_sent_once(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(MONDAY_NIGHT), self.mockSMSGateway():
            self._run(date(2026, 3, 2), at=MONDAY_NIGHT)
            self.env["sms.sms"].sudo()._process_queue()
            comm = self._comms(self.customer)
            self.assertEqual(comm.state, "queued")
            self.assertEqual(comm.sms_scheduled_at, datetime(2026, 3, 3, 8, 0))
            self.assertEqual(self._sms, [], "nothing leaves at night")
            self.env["dunning.communication"]._cron_send_queued_sms()
            self.assertEqual(comm.state, "queued", "still night")
        with freeze_time(datetime(2026, 3, 3, 8, 5)), self.mockSMSGateway():
            self.env["dunning.communication"]._cron_send_queued_sms()
            self.env["dunning.communication"]._cron_send_queued_sms()
            self.env["sms.sms"].sudo()._process_queue()
            self.assertEqual(comm.state, "sent")
            self.assertSMSIapSent(["+34612345678"])
            self.assertEqual(len(self._sms), 1)

    def test_landline_only_fails_with_reason_and_falls_back_to_email(self):
        self.stage_reminder.sms_fallback = "email"
        self.customer.mobile = False  # only the landline 912 000 000 is left
        invoice = self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with self.mock_mail_gateway():
            self._sms_run()
        sms_comm, email_comm = self._comms(self.customer)
        self.assertEqual((sms_comm.channel, sms_comm.state), ("sms", "failed"))
        self.assertIn("is a landline", sms_comm.failure_reason)
        self.assertIn(email_comm.name, sms_comm.failure_reason)
        self.assertIn(
            f"Replaced by {email_comm.name} (Email).",
            sms_comm.failure_reason,
            "the channel's label, not its internal name",
        )
        self.assertEqual((email_comm.channel, email_comm.state), ("email", "sent"))
        self.assertEqual(email_comm.fallback_of_id, sms_comm)
        self.assertEqual(email_comm.line_ids.move_id, invoice)
        self.assertMailMail(self.customer, "outgoing", content=invoice.name)
        self.assertEqual(self._sms, [])

    def test_invalid_or_missing_number_falls_back_to_a_call(self):
        self.stage_reminder.sms_fallback = "call"
        self.customer.write({"mobile": "no tengo móvil", "phone": False})
        self.customer_2.write({"mobile": False})
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        self._invoice(self.customer_2, 100.0, date(2026, 2, 27))
        self._sms_run()
        first = self._comms(self.customer).filtered(lambda c: c.channel == "sms")
        self.assertIn("is not a valid phone number", first.failure_reason)
        second = self._comms(self.customer_2).filtered(lambda c: c.channel == "sms")
        self.assertIn("has no mobile number", second.failure_reason)
        calls = self._comms().filtered(lambda c: c.channel == "call")
        by_partner = {call.partner_id: call for call in calls}
        # The collector can read what was typed in the mobile field and call.
        self.assertEqual(by_partner[self.customer].state, "sent")
        self.assertTrue(by_partner[self.customer].activity_id)
        # Without any number, the call itself fails, with its own reason.
        self.assertEqual(by_partner[self.customer_2].state, "failed")
        self.assertIn("No phone number", by_partner[self.customer_2].failure_reason)
        self.assertEqual(self._sms, [])

    def test_blacklisted_and_opted_out_customers_never_get_sms(self):
        self.env["phone.blacklist"].sudo()._add(["+34612345678"])
        self.customer_2.dunning_no_sms = True
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        self._invoice(self.customer_2, 100.0, date(2026, 2, 27))
        self._sms_run()
        self.assertIn("SMS blacklist", self._comms(self.customer).failure_reason)
        self.assertIn("asked not to receive SMS", self._comms(self.customer_2).failure_reason)
        self.assertEqual(self._sms, [])

    def test_foreign_customer_mobile_uses_its_country(self):
        self.customer.write({"mobile": "06 12 34 56 78", "country_id": self.env.ref("base.fr").id})
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        self._sms_run()
        self.assertSMSIapSent(["+33612345678"])

    def test_provider_error_is_retried_on_the_same_sms(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(MONDAY_NOON), self.mockSMSGateway(sim_error="server_error"):
            self._run(date(2026, 3, 2), at=MONDAY_NOON)
            self.env["sms.sms"].sudo()._process_queue()
        comm = self._comms(self.customer)
        self.assertEqual(comm.sms_status, "failed")
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "=", comm.message_id.id)])
        self.assertEqual(sms.state, "error")
        with freeze_time(MONDAY_NOON), self.mockSMSGateway():
            self.env["dunning.communication"]._cron_send_queued_sms()
            self.env["sms.sms"].sudo()._process_queue()
        self.assertSMSIapSent(["+34612345678"])
        self.assertEqual(
            self.env["sms.sms"].sudo().search([("mail_message_id", "=", comm.message_id.id)]),
            sms,
            "the same SMS, not a new one",
        )
        comm.invalidate_recordset()
        self.assertEqual(comm.sms_status, "sent")

    def test_delivery_report_updates_the_communication(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(MONDAY_NOON), self.mockSMSGateway(force_delivered=True):
            self._run(date(2026, 3, 2), at=MONDAY_NOON)
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(self._comms(self.customer).sms_status, "delivered")

    def test_firm_stage_sends_the_firm_text_in_spanish(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.env["ir.module.module"]._load_module_terms(
            ["account_dunning_es", "account_dunning_es_sms"], ["es_ES"], overwrite=True
        )
        self.customer.lang = "es_ES"
        self.stage_call.write(
            {"call_action": False, "send_sms": True, "tone": "firm", "sms_template_id": False}
        )
        invoice = self._invoice(self.customer, 100.0, date(2026, 2, 15))
        invoice._dunning_write({"dunning_stage_id": self.stage_reminder.id})
        self._sms_run()
        self.assertIn("siguen impagadas", self._sms[0]["body"])

    def test_effectiveness_channel_is_sms(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        self._sms_run()
        groups = self.env["dunning.communication"]._read_group(
            [("partner_id", "=", self.customer.id)], ["channel"], ["__count"]
        )
        self.assertEqual(groups, [("sms", 1)])

    def test_thank_you_sms_after_full_payment(self):
        self.policy.write({"thank_you": True, "thank_you_sms": True})
        invoice = self._invoice(self.customer, 100.0, date(2026, 2, 27))
        self._sms_run()
        with freeze_time(MONDAY_NOON), self.mockSMSGateway(), self.mock_mail_gateway():
            self._pay(invoice, on_date=date(2026, 3, 2))
            self.env["sms.sms"].sudo()._process_queue()
            self.assertEqual(len(self._new_mails), 1, "the thank-you email")
        self.assertSMSIapSent(["+34612345678"], content="Thank you!")

    def test_undelivered_sms_fails_the_communication_and_falls_back(self):
        """A bounced SMS is a failure in the list, not 'Issued'."""
        self.stage_reminder.sms_fallback = "email"
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(MONDAY_NOON), self.mockSMSGateway(sim_error="wrong_number_format"):
            self._run(date(2026, 3, 2), at=MONDAY_NOON)
            self.env["sms.sms"].sudo()._process_queue()
        sms_comm = self._comms(self.customer, channel="sms")
        self.assertEqual((sms_comm.state, sms_comm.sms_status), ("failed", "failed"))
        self.assertIn("+34612345678", sms_comm.failure_reason)
        self.assertIn("not delivered", sms_comm.failure_reason)
        fallback = self._comms(self.customer, channel="email")
        self.assertEqual((fallback.state, fallback.fallback_of_id), ("sent", sms_comm))
        failed = self.env["dunning.communication"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "failed")]
        )
        self.assertEqual(failed, sms_comm, "the Failed filter finds it")

    def test_transient_sms_failure_is_failed_until_the_retry_sends_it(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(MONDAY_NOON), self.mockSMSGateway(sim_error="server_error"):
            self._run(date(2026, 3, 2), at=MONDAY_NOON)
            self.env["sms.sms"].sudo()._process_queue()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "failed")
        self.assertIn("will be retried", comm.failure_reason)
        self.assertFalse(self._comms(self.customer, channel="email"), "no fallback for a retry")
        with freeze_time(MONDAY_NOON), self.mockSMSGateway():
            self.env["dunning.communication"]._cron_send_queued_sms()
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual((comm.state, comm.failure_reason), ("sent", False))

    def test_retry_of_a_failed_sms_cancels_the_failed_one(self):
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(MONDAY_NOON), self.mockSMSGateway(sim_error="server_error"):
            self._run(date(2026, 3, 2), at=MONDAY_NOON)
            self.env["sms.sms"].sudo()._process_queue()
        comm = self._comms(self.customer)
        first = self.env["sms.sms"].sudo().search([("mail_message_id", "=", comm.message_id.id)])
        with freeze_time(MONDAY_NOON), self.mockSMSGateway():
            comm.action_send()
            self.env["sms.sms"].sudo()._process_queue()
            self.env["dunning.communication"]._cron_send_queued_sms()
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(first.state, "canceled")
        self.assertSMSIapSent(["+34612345678"])
        self.assertEqual(len(self._sms), 1, "one SMS sent, not the old one again")
        self.assertEqual(comm.state, "sent")

    def test_settings_offer_the_sms_time_zones(self):
        """Settings crashed on this field's selection."""
        description = self.env["res.config.settings"].fields_get(["dunning_sms_tz"])
        zones = dict(description["dunning_sms_tz"]["selection"])
        self.assertIn("Europe/Madrid", zones)
        self.assertIn("Atlantic/Canary", zones)
        settings = self.env["res.config.settings"].create({"dunning_sms_tz": "Atlantic/Canary"})
        settings.execute()
        self.assertEqual(self.env.company.dunning_sms_tz, "Atlantic/Canary")

    def test_sms_channel_has_its_issuer(self):
        Comm = self.env["dunning.communication"]
        self.assertEqual(
            set(Comm._issuers()), {key for key, _label in Comm._fields["channel"].selection}
        )
        self.assertIn("sms", Comm._issuers())

    def test_bulk_sms_texts_are_what_odoo_renders_for_each_customer(self):
        """The texts of a run's SMS, each expression compiled once for all
        , are the ones Odoo's own rendering gives, per language."""
        self.env["res.lang"]._activate_lang("es_ES")
        self.env["ir.module.module"]._load_module_terms(
            ["account_dunning_es", "account_dunning_es_sms"], ["es_ES"], overwrite=True
        )
        third = self._create_customer("Hierros Muestra SL", lang="es_ES", mobile="622 333 444")
        for customer, amount in ((self.customer, 1210.0), (self.customer_2, 80.5), (third, 33.0)):
            self._invoice(customer, amount, date(2026, 2, 27))
        with freeze_time(MONDAY_NOON):
            self._run(date(2026, 3, 2), preview=True, at=MONDAY_NOON)
        comms = self._comms(channel="sms")
        self.assertEqual(comms.partner_id, self.customer | self.customer_2 | third)
        with patch.object(safe_eval, "test_expr", wraps=safe_eval.test_expr) as odoo_check:
            bodies = comms._sms_bodies()
        odoo_rendered = self.sms_template._render_field("body", comms.ids, compute_lang=True)
        self.assertEqual(bodies, {c: html2plaintext(odoo_rendered[c.id]) for c in comms})
        self.assertEqual(len(set(bodies.values())), 3, "each customer's own text")
        by_customer = {comm.partner_id: bodies[comm] for comm in comms}
        self.assertIn("1,210.00", by_customer[self.customer])
        self.assertIn("33,00", by_customer[third], "the Spanish customer's text")
        # Odoo checks the expressions of one record per language, not of each.
        with patch.object(safe_eval, "test_expr", wraps=safe_eval.test_expr) as per_record:
            self.sms_template._render_field("body", comms.ids, compute_lang=True)
        self.assertLess(odoo_check.call_count, per_record.call_count)
