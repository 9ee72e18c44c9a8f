# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningSecurity(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="vendedor", groups="base.group_user,sales_team.group_sale_salesman",
            company_id=cls.company.id, company_ids=cls.company.ids,
        )
        cls.manager = new_test_user(
            cls.env, login="jefe.cobros", groups="base.group_user,account_dunning_es.group_dunning_manager",
            company_id=cls.company.id, company_ids=cls.company.ids,
        )

    def test_sales_rep_reads_the_status_but_changes_nothing(self):
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
        run = self.env["dunning.run"].with_user(self.collector).create(
            {"company_id": self.company.id, "date": self.today, "preview": True}
        )
        run.action_run()
        self.assertEqual(run.draft_count, 1)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.collector).write({"min_amount": 1})
        with self.assertRaises(AccessError):
            self.env["dunning.segment"].with_user(self.collector).create({"name": "X"})

    def test_manager_configures_policies(self):
        self.policy.with_user(self.manager).write({"min_amount": 25.0})
        self.assertEqual(self.policy.min_amount, 25.0)
        segment = self.env["dunning.segment"].with_user(self.manager).create(
            {"name": "Franquicias", "code": "franchise"}
        )
        self.assertTrue(segment.exists())
