# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningEffectivenessReport(models.Model):
    _inherit = "dunning.effectiveness.report"

    # The analysis compares the phone channels with the others.
    channel = fields.Selection(
        selection_add=[("sms", "SMS"), ("ivr", "Automated Call (IVR)")],
        ondelete={"sms": "cascade", "ivr": "cascade"},
    )
