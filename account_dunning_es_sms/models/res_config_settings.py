# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_sms_hour_from = fields.Float(related="company_id.dunning_sms_hour_from", readonly=False)
    dunning_sms_hour_to = fields.Float(related="company_id.dunning_sms_hour_to", readonly=False)
    dunning_sms_weekdays = fields.Char(related="company_id.dunning_sms_weekdays", readonly=False)
    dunning_sms_tz = fields.Selection(related="company_id.dunning_sms_tz", readonly=False)
