# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import UserError


class DunningExcludeWizard(models.TransientModel):
    _name = "dunning.exclude.wizard"
    _description = "Exclude from Dunning"

    res_model = fields.Selection(
        [("res.partner", "Customers"), ("account.move", "Invoices")], required=True
    )
    res_ids = fields.Json(required=True)
    reason = fields.Char(required=True, help="Why these are not claimed (kept on the record).")

    def _action_open(self, records):
        if not records:
            raise UserError(self.env._("Select at least one record to exclude."))
        wizard = self.create(
            {"res_model": records._name, "res_ids": records.ids, "reason": self.env._("Excluded")}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Exclude from Dunning"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        records = self.env[self.res_model].browse(self.res_ids).exists()
        vals = {"dunning_excluded": True, "dunning_exclusion_reason": self.reason}
        if self.res_model == "account.move":
            records._dunning_write(dict(vals))
            for move in records:
                move.message_post(
                    body=self.env._("Excluded from dunning: %(reason)s", reason=self.reason),
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                )
        else:
            records.write(vals)
        return {"type": "ir.actions.act_window_close"}
