# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._dunning_after_payment()
        return partials

    def _dunning_after_payment(self):
        """A payment on a claimed invoice: update its promises, thank full payers."""
        invoices = (self.debit_move_id.move_id | self.credit_move_id.move_id).filtered(
            lambda m: m.move_type == "out_invoice"
        )
        if not invoices:
            return
        self.env["dunning.run"]._judge_now(invoices)
        self.env["res.partner"]._dunning_thank_payers(invoices)
        self.env["res.partner"]._dunning_release_settled_holds(invoices.commercial_partner_id)
        # A customer on the worklist who pays (online, or booked by the
        # accountant) leaves it, or shows what it still owes, at once.
        Worklist = self.env["dunning.worklist"].sudo()
        listed = Worklist.search([("partner_id", "in", invoices.commercial_partner_id.ids)])
        # Their status was computed before the payment, in this transaction.
        listed.partner_id.invalidate_recordset(
            [
                name
                for name, field in listed.partner_id._fields.items()
                if field.compute == "_compute_dunning_status"
            ]
        )
        for company in listed.company_id:
            rows = listed.filtered(lambda row, company=company: row.company_id == company)
            Worklist.with_company(company)._rebuild(company, rows.partner_id)
