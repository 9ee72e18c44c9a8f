# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Each role's day with exactly the groups README.rst gives it: a collector
is an internal user with *Dunning / Collector* and nothing else."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestCollectorsDay(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # README: "Give collectors the group Dunning / Collector".
        cls.readme_collector = new_test_user(
            cls.env,
            login="cobrador.readme",
            groups="base.group_user,account_dunning_es.group_dunning_user",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.policy.collector_id = cls.readme_collector

    def setUp(self):
        super().setUp()
        self.invoice = self._invoice(self.customer, 450.0, self._due(-12))
        self.invoice._dunning_write({"dunning_stage_id": self.stage_reminder.id})
        self._run()

    def _as_collector(self, record):
        return record.with_user(self.readme_collector).with_company(self.company)

    def _log_call(self, result, **values):
        customer = self._as_collector(self.customer)
        action = customer.action_dunning_log_call()
        wizard = self._as_collector(self.env[action["res_model"]].browse(action["res_id"]))
        wizard.write(dict({"result": result, "objective": "commitment"}, **values))
        with freeze_time(self.today):
            return wizard.action_confirm()

    def test_log_call_with_every_result(self):
        self._log_call("no_answer")
        again = self.env["mail.activity"].search(
            [("res_id", "=", self.customer.id), ("summary", "ilike", "Call again")]
        )
        self.assertEqual(again.user_id, self.readme_collector)
        self.assertEqual(again.date_deadline, self.today + timedelta(days=1))
        self._log_call("reason", reason="financial", note="Waiting for a subsidy")
        self.assertEqual(self.customer.dunning_reason, "financial")
        self._log_call("paid", pay_date=self.today, amount=450.0)
        action = self._log_call("promise")
        self.assertEqual(action["res_model"], "dunning.promise.wizard")
        self._log_call("wrong_number")
        self.assertTrue(self.customer.dunning_phone_wrong)
        calls = self._comms(self.customer, channel="phone")
        self.assertEqual(len(calls), 5, "each call is a communication")
        self.assertEqual(set(calls.mapped("user_id")), {self.readme_collector})

    def test_promise_exclude_send_now_and_delivery(self):
        customer = self._as_collector(self.customer)
        action = customer.action_dunning_register_promise()
        with freeze_time(self.today):
            wizard = (
                self._as_collector(self.env[action["res_model"]])
                .with_context(**action["context"])
                .create({"date": self.today + timedelta(days=7)})
            )
            wizard.action_confirm()
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.state, "open")
        # Send now on another customer's invoice placed before a letter.
        other = self._invoice(self.customer_2, 300.0, self._due(-25))
        other._dunning_write({"dunning_stage_id": self.stage_call.id})
        with freeze_time(self.today):
            self._as_collector(other).action_dunning_send_now()
        letter = self._comms(self.customer_2, channel="letter")
        self.assertEqual(letter.state, "sent")
        action = self._as_collector(letter).action_mark_letter_sent()
        delivery = self._as_collector(self.env[action["res_model"]].browse(action["res_id"]))
        delivery.write({"sending_method": "post", "sending_date": self.today})
        delivery.action_confirm()
        self.assertEqual(letter.sending_method, "post")
        html = (
            self.env["ir.actions.report"]
            .with_user(self.readme_collector)
            ._render_qweb_html("account_dunning_es.action_report_dunning_letter", letter.ids)[0]
        )
        self.assertIn(letter.name, html.decode())
        # Excluding an invoice from dunning, with its reason.
        action = self._as_collector(other).action_dunning_exclude()
        exclude = self._as_collector(self.env[action["res_model"]].browse(action["res_id"]))
        exclude.write({"reason": "Disputed by phone"})
        exclude.action_confirm()
        self.assertTrue(other.dunning_excluded)
        # The worklist: opened and refreshed.
        worklist = self._as_collector(self.env["dunning.worklist"])
        worklist.action_refresh()
        # What README does not give a collector.
        with self.assertRaises(AccessError):
            self._as_collector(self.policy).write({"min_amount": 1})

    def test_sales_rep_reads_their_customer_and_changes_nothing(self):
        rep = new_test_user(
            self.env,
            login="comercial.readme",
            groups="base.group_user,sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.user_id = rep
        customer = self.customer.with_user(rep)
        with freeze_time(self.today):
            self.assertEqual(customer.dunning_status, "collection")
        self.assertTrue(customer.dunning_communication_ids)
        with self.assertRaises(AccessError):
            customer.dunning_communication_ids[:1].write({"user_id": rep.id})

    def test_a_collection_activity_is_marked_done_from_its_page(self):
        call = self._comms(self.customer, channel="call")
        activity = self._as_collector(call.activity_id)
        self.assertEqual(activity.user_id, self.readme_collector)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.mail_activity_action_my_collection"
        )
        form = {mode: view for view, mode in action["views"]}["form"]
        self.assertEqual(
            form, self.env.ref("account_dunning_es.mail_activity_view_form_collection").id
        )
        arch = activity.get_views([(form, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_dunning_done"', arch)
        back = activity.action_dunning_done()
        self.assertFalse(call.activity_id.exists() and call.activity_id.active, "done")
        self.assertEqual(back["res_model"], "mail.activity")
        done = self.customer.message_ids.filtered(lambda m: m.mail_activity_type_id)
        self.assertTrue(done.filtered("dunning_partner_id"), "a collection message")
