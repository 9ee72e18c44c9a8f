# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""End-to-end: the demo database lives through two weeks of daily dunning.

Runs with pytest-odoo on the database built by tests/run.sh (both add-ons,
demo data). The demo customers were created with months of replayed runs.
"""

from collections import Counter
from datetime import timedelta

from e2e_case import CrossModuleCase
from freezegun import freeze_time

from odoo import fields


class TestTwoWeeksOfDunning(CrossModuleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The demo customers live in the demo's Spanish company: work there.
        company = cls.env.ref("account_dunning_es.demo_company_es")
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=company.ids))
        cls.cron = cls.env.ref("account_dunning_es.ir_cron_dunning_run")
        cls.customers = cls.env["res.partner"].search(
            [
                ("dunning_segment_id", "!=", False),
                (
                    "name",
                    "in",
                    [
                        "Ayuntamiento de Villanueva",
                        "Grupo Industrial Ebro SA",
                        "Talleres Martínez SL",
                        "Distribuciones Levante SL",
                        "Lucía Fernández",
                    ],
                ),
            ]
        )

    def _lines(self):
        return self.env["dunning.communication.line"].search(
            [("partner_id", "in", self.customers.ids), ("state", "!=", "cancelled")]
        )

    def test_daily_cron_never_repeats_a_stage_and_stops_for_payers(self):
        self.assertEqual(len(self.customers), 5, "demo customers of every segment")
        today = fields.Date.context_today(self.env["res.partner"])
        payer = self.customers.filtered(lambda p: p.name == "Lucía Fernández")
        payer_invoices = self.env["account.move"].search(
            [
                ("partner_id", "=", payer.id),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        self.assertTrue(payer_invoices)
        before = len(self._lines())
        for day in range(1, 15):
            on_date = today + timedelta(days=day)
            with freeze_time(on_date):
                if day == 3:
                    self.env["account.payment.register"].with_context(
                        active_model="account.move", active_ids=payer_invoices.ids
                    ).create({"payment_date": on_date, "group_payment": True})._create_payments()
                    payer_comms_after_payment = len(payer.dunning_communication_ids)
                self.trigger_daily_job()
        lines = self._lines()
        self.assertGreater(len(lines), before, "the two weeks issued new reminders")
        keys = Counter((l.move_id.id, l.stage_id.id, l.channel, l.cycle) for l in lines)
        self.assertEqual([k for k, n in keys.items() if n > 1], [], "no stage issued twice")
        # Every invoice climbed its stages in order.
        for move in lines.move_id:
            sequences = [
                l.stage_id.sequence
                for l in lines.filtered(lambda l, m=move: l.move_id == m).sorted(
                    lambda l: (l.date, l.id)
                )
            ]
            self.assertEqual(sequences, sorted(sequences), move.name)
        self.assertEqual(
            len(payer.dunning_communication_ids),
            payer_comms_after_payment,
            "nothing after the payment",
        )
        with freeze_time(today + timedelta(days=14)):
            payer.invalidate_recordset()
            self.assertEqual(payer.dunning_status, "ok")
            talleres = self.customers.filtered(lambda p: p.name == "Talleres Martínez SL")
            self.assertEqual(talleres.dunning_status, "agency")
