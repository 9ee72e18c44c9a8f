# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningPolicy(models.Model):
    _inherit = "dunning.policy"

    thank_you_sms = fields.Boolean(
        string="Thank by SMS",
        help="When a customer in collection pays everything, also thank them by SMS.",
    )
