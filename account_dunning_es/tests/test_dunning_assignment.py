# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningAssignment(DunningCommon):
    """Calls, meetings and hand-overs go to a person, never to OdooBot.

    With the shipped policies (no collector) the daily
    job, which runs as OdooBot, made OdooBot the assignee.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        common = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.policy.collector_id = False
        cls.salesperson = new_test_user(
            cls.env,
            login="vendedora",
            name="Victoria Ventas",
            groups="base.group_user,sales_team.group_sale_salesman",
            **common,
        )
        cls.boss = new_test_user(
            cls.env,
            login="jefa.cobros",
            name="Julia Jefa",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
            **common,
        )

    def _cron_call(self, customer):
        """The invoice reaches the call stage in a run made by the daily job's user."""
        invoice = self._invoice(customer, 700.0, self._due(-12))
        invoice._dunning_write({"dunning_stage_id": self.stage_reminder.id})
        with freeze_time(self.today):
            run = (
                self.env["dunning.run"]
                .with_user(SUPERUSER_ID)
                .with_company(self.company)
                .create({"company_id": self.company.id, "date": self.today, "preview": False})
            )
            run._execute()
        call = self._comms(customer, channel="call")
        self.assertEqual(call.state, "sent")
        return call

    def test_call_goes_to_the_customer_collector_first(self):
        self.customer.write(
            {"dunning_collector_id": self.collector.id, "user_id": self.salesperson.id}
        )
        self.policy.collector_id = self.boss
        call = self._cron_call(self.customer)
        self.assertEqual(call.activity_id.user_id, self.collector)

    def test_then_the_policy_collector(self):
        self.customer.user_id = self.salesperson
        self.policy.collector_id = self.collector
        self.assertEqual(self._cron_call(self.customer).activity_id.user_id, self.collector)

    def test_then_the_salesperson_who_finds_it_in_my_collection_activities(self):
        self.customer.user_id = self.salesperson
        call = self._cron_call(self.customer)
        self.assertEqual(call.user_id, self.salesperson)
        self.assertEqual(call.activity_id.user_id, self.salesperson)
        self.assertEqual(self.customer.dunning_responsible_id, self.salesperson)
        action = self.env.ref("account_dunning_es.mail_activity_action_my_collection")
        domain = safe_eval(action.domain, {"uid": self.salesperson.id})
        mine = self.env["mail.activity"].with_user(self.salesperson).search(domain)
        self.assertEqual(mine, call.activity_id)

    def test_then_the_company_dunning_manager(self):
        self.company.dunning_manager_id = self.boss
        call = self._cron_call(self.customer)
        self.assertEqual(call.activity_id.user_id, self.boss)

    def test_never_odoobot_even_without_any_setting(self):
        self.assertFalse(self.company.dunning_manager_id)
        bot = self.env["res.users"].browse(SUPERUSER_ID)
        self.customer.user_id = bot  # a bot as salesperson is no person either
        call = self._cron_call(self.customer)
        user = call.activity_id.user_id
        self.assertNotEqual(user, bot)
        self.assertTrue(user._dunning_is_person())
        self.assertTrue(user.has_group("account_dunning_es.group_dunning_manager"))
        self.assertIn(self.company, user.company_ids)

    def test_a_company_no_manager_works_in_still_has_a_person(self):
        """Found by the load benchmark: 'I have already paid' failed (an
        activity without a user) for a customer of a company that no dunning
        manager works in."""
        # (OdooBot creates it: the creator gets the new company, and OdooBot
        # is no person.)
        lonely = self.env["res.company"].with_user(SUPERUSER_ID).create({"name": "Sin Gestor SL"})
        manager = lonely._dunning_manager()
        self.assertTrue(manager._dunning_is_person())
        self.assertTrue(manager.has_group("account_dunning_es.group_dunning_manager"))
        # As the statement page does it (sudo, a public page).
        customer = (
            self.env["res.partner"]
            .sudo()
            .create({"name": "Cliente Sin Gestor SL", "company_id": lonely.id})
        )
        self.env["dunning.statement"]._claim_paid(customer, self._due(-1), 300.0)
        activity = (
            self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "=", customer.id)])
        )
        self.assertTrue(activity.user_id._dunning_is_person())

    def test_broken_promise_activity_goes_to_a_person(self):
        self.customer.user_id = self.salesperson
        invoice = self._invoice(self.customer, 300.0, self._due(-20))
        promise = (
            self.env["dunning.promise"]
            .with_user(SUPERUSER_ID)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": invoice.ids,
                    "amount": 300.0,
                    "company_id": self.company.id,
                    "instalment_ids": [Command.create({"date": self._due(-5), "amount": 300.0})],
                }
            )
        )
        with freeze_time(self.today):
            promise._evaluate(self.today)
        self.assertEqual(promise.state, "broken")
        activity = promise.activity_ids.filtered(lambda a: a.summary == "Broken payment promise")
        self.assertEqual(activity.user_id, self.salesperson)
