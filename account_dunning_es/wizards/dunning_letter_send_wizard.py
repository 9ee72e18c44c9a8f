# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, _, fields, models
from odoo.exceptions import UserError


class DunningLetterSendWizard(models.TransientModel):
    _name = "dunning.letter.send.wizard"
    _description = "Record the Delivery of Demand Letters"

    communication_ids = fields.Many2many("dunning.communication", required=True)
    sending_method = fields.Selection(
        [
            ("post", "Ordinary Post"),
            ("certified", "Certified Post / Burofax"),
            ("email", "Email"),
            ("hand", "Hand Delivery"),
        ],
        required=True,
        default="post",
    )
    sending_reference = fields.Char(help="Certified post or burofax reference.")
    sending_date = fields.Date(required=True, default=fields.Date.context_today)

    def _action_open(self, letters):
        wizard = self.create({"communication_ids": [Command.set(letters.ids)]})
        return {
            "type": "ir.actions.act_window",
            "name": _("Letters Sent"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        letters = self.communication_ids
        if self.sending_method == "certified" and not self.sending_reference:
            raise UserError(_("Give the certified post or burofax reference."))
        if self.sending_method == "email":
            letters._send_letter_by_email()
        letters.write(
            {
                "sending_method": self.sending_method,
                "sending_reference": self.sending_reference,
                "sending_date": self.sending_date,
            }
        )
        return {"type": "ir.actions.act_window_close"}
