# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningPromiseInstalment(models.Model):
    _name = "dunning.promise.instalment"
    _description = "Payment Promise Instalment"
    _order = "promise_id, date, id"

    promise_id = fields.Many2one("dunning.promise", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="promise_id.company_id", store=True)
    currency_id = fields.Many2one(related="promise_id.currency_id")
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("partial", "Partially Paid"), ("paid", "Paid")],
        default="pending",
        readonly=True,
    )
    reminder_sent = fields.Boolean(readonly=True, copy=False)

    def _allocate(self, paid):
        """Spread what was paid over the instalments, oldest first."""
        for instalment in self.sorted("date"):
            share = min(paid, instalment.amount)
            paid -= share
            instalment.write(
                {
                    "amount_paid": share,
                    "state": "paid"
                    if share >= instalment.amount - 0.005
                    else "partial"
                    if share
                    else "pending",
                }
            )
