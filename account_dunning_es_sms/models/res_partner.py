# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_no_sms = fields.Boolean(
        string="No SMS Reminders",
        tracking=True,
        help="The customer asked not to receive collection SMS.",
    )
