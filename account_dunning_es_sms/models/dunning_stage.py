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
        string="If no SMS Can Be Sent",
        help="When the customer has no valid mobile number (or refuses SMS), issue this "
        "channel instead.",
    )

    def _channels(self):
        channels = super()._channels()
        if self.send_sms:
            channels.insert(1 if "email" in channels else 0, "sms")
        return channels
