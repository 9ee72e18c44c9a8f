# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, fields, models
from odoo.exceptions import UserError

from ..rules import court as court_rules
from ..rules import law as law_rules

# Ways of sending identified by the operator's reference.
REFERENCED = ("certified", "burofax", "certified_email")


class DunningLetterSendWizard(models.TransientModel):
    _name = "dunning.letter.send.wizard"
    _description = "Record the Delivery of Demand Letters"

    communication_ids = fields.Many2many("dunning.communication", required=True)
    # No default: ordinary post proves nothing, and a default would record
    # it for letters that went otherwise. The collector says how it went.
    sending_method = fields.Selection(law_rules.SENDING_METHODS)
    sending_reference = fields.Char(help="Certified post, burofax or certified email reference.")
    sending_date = fields.Date(required=True, default=fields.Date.context_today)
    delivery_outcome = fields.Selection(
        law_rules.DELIVERY_OUTCOMES,
        required=True,
        default="sent",
        help="Record the outcome now if known, or later on each letter.",
    )
    receipt_date = fields.Date(help="Day the customer received the letter.")
    delivery_proof = fields.Binary(string="Operator's Certificate")
    delivery_proof_name = fields.Char()

    def _action_open(self, letters):
        wizard = self.create({"communication_ids": [Command.set(letters.ids)]})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Letters Sent"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        if not self.sending_method:
            raise UserError(self.env._("Say how the letters were sent."))
        letters = self.communication_ids
        if any(c.channel == "negotiation" for c in letters) and not (
            court_rules.masc_method_allowed(self.sending_method)
        ):
            methods = dict(self._fields["sending_method"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "A negotiation attempt counts before a court only when its receipt and "
                    "content are proven (LO 1/2025 art. 10): send it by %(methods)s. "
                    "%(method)s, SMS or messaging apps prove neither.",
                    methods=", ".join(methods[m] for m in court_rules.MASC_METHODS),
                    method=methods.get(self.sending_method, self.sending_method),
                )
            )
        if self.sending_method in REFERENCED and not self.sending_reference:
            raise UserError(
                self.env._("Give the reference of the certified post, burofax or certified email.")
            )
        if self.delivery_outcome == "delivered" and not self.receipt_date:
            raise UserError(self.env._("Give the day the letter was received."))
        if self.receipt_date and self.receipt_date < self.sending_date:
            raise UserError(self.env._("A letter cannot be received before it was sent."))
        if self.sending_method == "email":
            letters._send_letter_by_email()
        vals = {
            "sending_method": self.sending_method,
            "sending_reference": self.sending_reference,
            "sending_date": self.sending_date,
            "delivery_outcome": self.delivery_outcome,
            "receipt_date": self.receipt_date,
        }
        if self.delivery_proof:
            vals.update(
                delivery_proof=self.delivery_proof, delivery_proof_name=self.delivery_proof_name
            )
        letters.write(vals)
        return {"type": "ir.actions.act_window_close"}
