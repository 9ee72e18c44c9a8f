# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningStage(models.Model):
    _inherit = "dunning.stage"

    send_sms = fields.Boolean(string="SMS")
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "dunning.communication")],
    )
    sms_fallback = fields.Selection(
        [("email", "Email"), ("call", "Phone Call")],
        string="If no SMS or Automated Call Can Be Made",
        help="When the customer has no valid number (or refuses SMS or automated calls), or "
        "does not answer the automated call after its attempts, issue this channel instead.",
    )
    send_ivr = fields.Boolean(
        string="Automated Call (IVR)",
        help="Call the customer automatically: the call plays the reminder and the customer "
        "answers with the keypad (1 already paid, 2 promise to pay within 7 days, 3 speak to "
        "someone).",
    )
    ivr_attempts = fields.Integer(
        string="Call Attempts",
        default=3,
        help="Calls made when the customer does not answer, is busy or presses no key, "
        "before the fallback channel.",
    )
    ivr_retry_minutes = fields.Integer(
        string="Minutes Between Attempts",
        default=120,
        help="Time between two attempts (within the allowed hours).",
    )

    def _channels(self):
        channels = super()._channels()
        if self.send_sms:
            channels.insert(1 if "email" in channels else 0, "sms")
        if self.send_ivr:
            channels.append("ivr")
        return channels
