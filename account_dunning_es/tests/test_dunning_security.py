# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningSecurity(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="vendedor",
            groups="base.group_user,sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.manager = new_test_user(
            cls.env,
            login="jefe.cobros",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )

    def test_sales_rep_reads_the_status_but_changes_nothing(self):
        self.customer.user_id = self.salesman  # their customer: README's rule
        self._invoice(self.customer, 100.0, self._due(-3))
        self._run()
        partner = self.customer.with_user(self.salesman)
        self.assertEqual(partner.dunning_status, "collection")
        self.assertEqual(partner.dunning_overdue_amount, 100.0)
        comm = self._comms(self.customer).with_user(self.salesman)
        self.assertEqual(comm.stage_id.name, "Reminder")
        with self.assertRaises(AccessError):
            comm.write({"user_id": self.salesman.id})
        with self.assertRaises(AccessError):
            self.env["dunning.run"].with_user(self.salesman).create({"company_id": self.company.id})
        with self.assertRaises(AccessError):
            self.policy.with_user(self.salesman).write({"min_amount": 1})

    def test_collector_runs_dunning_but_cannot_change_policies(self):
        self._invoice(self.customer, 100.0, self._due(-3))
        run = (
            self.env["dunning.run"]
            .with_user(self.collector)
            .create({"company_id": self.company.id, "date": self.today, "preview": True})
        )
        run.action_run()
        self.assertTrue(run.queued, "handed to the daily job")
        with freeze_time(self.today):
            self._trigger_daily_job()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.draft_count, 1)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.collector).write({"min_amount": 1})
        with self.assertRaises(AccessError):
            self.env["dunning.segment"].with_user(self.collector).create({"name": "X"})

    def test_manager_configures_policies(self):
        self.policy.with_user(self.manager).write({"min_amount": 25.0})
        self.assertEqual(self.policy.min_amount, 25.0)
        segment = (
            self.env["dunning.segment"]
            .with_user(self.manager)
            .create({"name": "Franquicias", "code": "franchise"})
        )
        self.assertTrue(segment.exists())

    def _history_of_two_customers(self):
        """Communications and a promise for a customer of the sales rep and another's."""
        self.customer.user_id = self.salesman
        self.customer_2.user_id = self.manager
        for customer in (self.customer, self.customer_2):
            self._invoice(customer, 100.0, self._due(-3))
        self._run()
        for customer in (self.customer, self.customer_2):
            self.env["dunning.promise.wizard"].with_context(
                active_model="res.partner", active_ids=customer.ids
            ).create({"date": self._due(7)}).action_confirm()

    def test_sales_rep_reads_the_history_of_their_own_customers_only(self):
        """The communications action listed every customer's."""
        self._history_of_two_customers()
        Comm = self.env["dunning.communication"].with_user(self.salesman)
        # What the Communications action lists when opened by its URL.
        self.assertEqual(Comm.search([]).partner_id, self.customer)
        self.assertEqual(
            self.env["dunning.communication.line"].with_user(self.salesman).search([]).partner_id,
            self.customer,
        )
        promises = self.env["dunning.promise"].with_user(self.salesman).search([])
        self.assertEqual(promises.partner_id, self.customer)
        self.assertEqual(
            self.env["dunning.promise.instalment"].with_user(self.salesman).search([]).promise_id,
            promises,
        )
        others = self._comms(self.customer_2)
        self.assertTrue(others)
        with self.assertRaises(AccessError):
            others.with_user(self.salesman).read(["name"])
        # The customer form's counters count what the rep may open.
        self.assertEqual(self.customer_2.with_user(self.salesman).dunning_communication_count, 0)
        self.assertEqual(
            self.customer.with_user(self.salesman).dunning_communication_count,
            len(self._comms(self.customer)),
        )
        # Still read-only on their own customers.
        with self.assertRaises(AccessError):
            Comm.search([], limit=1).write({"user_id": self.salesman.id})

    def test_another_reps_customer_shows_the_rep_no_collection(self):
        """A sales rep sees neither the status, the banner, nor the collection
        messages and activities of a customer whose salesperson is another."""
        self._history_of_two_customers()
        self.customer_2.with_context(dunning_collection_message=True).message_post(
            body="Call: will pay on Friday", subtype_xmlid="mail.mt_note"
        )
        self.customer_2.message_post(body="Visit planned", subtype_xmlid="mail.mt_note")
        self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer_2.id,
                "user_id": self.collector.id,
                "summary": "Collection call",
                "dunning_communication_id": self._comms(self.customer_2)[:1].id,
            }
        )
        with freeze_time(self.today):
            own = self.customer.with_user(self.salesman)
            other = self.customer_2.with_user(self.salesman)
            self.assertTrue(own.dunning_may_see)
            self.assertEqual(own.dunning_status, "collection")
            self.assertFalse(other.dunning_may_see)
            self.assertFalse(other.dunning_status, "no status, no banner")
            self.assertFalse(other.dunning_overdue_amount)
            self.assertFalse(other.dunning_responsible_id)
            # The contacts' "In Collection" filter finds their own only.
            found = (
                self.env["res.partner"]
                .with_user(self.salesman)
                .search([("dunning_status", "=", "collection")])
            )
            self.assertIn(self.customer, found)
            self.assertNotIn(self.customer_2, found)
        Message = self.env["mail.message"].with_user(self.salesman)
        chatter = Message.search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer_2.id)]
        )
        bodies = " ".join(chatter.mapped("body"))
        self.assertIn("Visit planned", bodies, "what is not about collection stays visible")
        self.assertNotIn("will pay on Friday", bodies)
        self.assertFalse(chatter.filtered("dunning_partner_id"), "no demand email, no call note")
        theirs = Message.search([("model", "=", "res.partner"), ("res_id", "=", self.customer.id)])
        self.assertTrue(theirs.filtered("dunning_partner_id"), "their customer's reminders")
        activities = (
            self.env["mail.activity"]
            .with_user(self.salesman)
            .search([("res_model", "=", "res.partner"), ("res_id", "=", self.customer_2.id)])
        )
        self.assertFalse(activities)
        # Those who work the receivables see it all.
        for user in (self.collector, self.manager):
            chatter = (
                self.env["mail.message"]
                .with_user(user)
                .search([("model", "=", "res.partner"), ("res_id", "=", self.customer_2.id)])
            )
            self.assertIn("will pay on Friday", " ".join(chatter.mapped("body")))
            self.assertEqual(self.customer_2.with_user(user).dunning_status, "collection")

    def test_collectors_and_sales_managers_read_every_customer(self):
        self._history_of_two_customers()
        everyone = self.env["dunning.communication"].search([]).partner_id
        collector_sales = new_test_user(
            self.env,
            login="cobrador.vendedor",
            groups="base.group_user,sales_team.group_sale_salesman,"
            "account_dunning_es.group_dunning_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        sales_manager = new_test_user(
            self.env,
            login="jefe.ventas",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        for user in (collector_sales, sales_manager, self.manager):
            self.assertEqual(
                self.env["dunning.communication"].with_user(user).search([]).partner_id,
                everyone,
                user.login,
            )

    def test_sales_rep_lists_their_customers_in_collection_read_only(self):
        """A read-only 'My Customers in Collection' for salespeople."""
        self.customer.user_id = self.salesman
        self.customer_2.user_id = self.manager
        up_to_date = self._create_customer("Al Día SL", user_id=self.salesman.id)
        for customer in (self.customer, self.customer_2):
            self._invoice(customer, 100.0, self._due(-3))
        self._invoice(up_to_date, 100.0, self._due(20))
        self._run()
        action = self.env.ref("account_dunning_es.res_partner_action_my_collection")
        domain = safe_eval(action.domain, {"uid": self.salesman.id})
        with freeze_time(self.today):
            mine = self.env["res.partner"].with_user(self.salesman).search(domain)
            self.assertEqual(mine, self.customer, "theirs, overdue; not another's, not up to date")
            self.assertEqual(mine.dunning_status, "collection")
        arch = self.env["res.partner"].get_views([(action.view_id.id, "list")])["views"]["list"][
            "arch"
        ]
        for forbidden in ('create="0"', 'edit="0"', 'delete="0"'):
            self.assertIn(forbidden, arch)
        menu = self.env.ref("account_dunning_es.menu_dunning_sales_my_customers")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids())
