# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import ValidationError

from ..rules.phone import parse_weekdays


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_sms_hour_from = fields.Float(string="SMS From", default=9.0)
    dunning_sms_hour_to = fields.Float(string="SMS Until", default=21.0)
    dunning_sms_weekdays = fields.Char(
        string="SMS Days",
        default="0,1,2,3,4",
        help="Days SMS reminders may be sent, Monday = 0 (default: Monday to Friday).",
    )
    # The time zones Odoo offers for users and partners (base's own list).
    dunning_sms_tz = fields.Selection(
        _tz_get, string="SMS Time Zone", default="Europe/Madrid", required=True
    )

    @api.constrains("dunning_sms_hour_from", "dunning_sms_hour_to", "dunning_sms_weekdays")
    def _check_dunning_sms_hours(self):
        for company in self:
            if not 0 <= company.dunning_sms_hour_from < company.dunning_sms_hour_to <= 24:
                raise ValidationError(
                    self.env._("SMS hours must be within the day, the start before the end.")
                )
            if not parse_weekdays(company.dunning_sms_weekdays):
                raise ValidationError(
                    self.env._("Give at least one day for SMS, as numbers (Monday = 0).")
                )
