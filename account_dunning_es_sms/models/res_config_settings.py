# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..rules.phone import parse_weekdays

# The day checkboxes of Settings and the weekday each stands for (Monday = 0),
# in the company's stored list of days.
SMS_DAY_FIELDS = (
    "dunning_sms_monday",
    "dunning_sms_tuesday",
    "dunning_sms_wednesday",
    "dunning_sms_thursday",
    "dunning_sms_friday",
    "dunning_sms_saturday",
    "dunning_sms_sunday",
)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_sms_hour_from = fields.Float(related="company_id.dunning_sms_hour_from", readonly=False)
    dunning_sms_hour_to = fields.Float(related="company_id.dunning_sms_hour_to", readonly=False)
    dunning_sms_weekdays = fields.Char(related="company_id.dunning_sms_weekdays", readonly=False)
    dunning_sms_tz = fields.Selection(related="company_id.dunning_sms_tz", readonly=False)
    dunning_ivr_host = fields.Char(related="company_id.dunning_ivr_host", readonly=False)
    dunning_ivr_user = fields.Char(related="company_id.dunning_ivr_user", readonly=False)
    dunning_ivr_password = fields.Char(
        related="company_id.dunning_ivr_password", readonly=False, groups="base.group_system"
    )
    dunning_ivr_caller_id = fields.Char(related="company_id.dunning_ivr_caller_id", readonly=False)
    dunning_ivr_proxy = fields.Char(related="company_id.dunning_ivr_proxy", readonly=False)
    dunning_ivr_max_calls = fields.Integer(
        related="company_id.dunning_ivr_max_calls", readonly=False
    )
    dunning_ivr_greeting = fields.Binary(related="company_id.dunning_ivr_greeting", readonly=False)
    dunning_ivr_greeting_name = fields.Char(
        related="company_id.dunning_ivr_greeting_name", readonly=False
    )
    dunning_sms_monday = fields.Boolean(
        string="Monday", compute="_compute_dunning_sms_days", inverse="_inverse_dunning_sms_days"
    )
    dunning_sms_tuesday = fields.Boolean(
        string="Tuesday", compute="_compute_dunning_sms_days", inverse="_inverse_dunning_sms_days"
    )
    dunning_sms_wednesday = fields.Boolean(
        string="Wednesday",
        compute="_compute_dunning_sms_days",
        inverse="_inverse_dunning_sms_days",
    )
    dunning_sms_thursday = fields.Boolean(
        string="Thursday", compute="_compute_dunning_sms_days", inverse="_inverse_dunning_sms_days"
    )
    dunning_sms_friday = fields.Boolean(
        string="Friday", compute="_compute_dunning_sms_days", inverse="_inverse_dunning_sms_days"
    )
    dunning_sms_saturday = fields.Boolean(
        string="Saturday", compute="_compute_dunning_sms_days", inverse="_inverse_dunning_sms_days"
    )
    dunning_sms_sunday = fields.Boolean(
        string="Sunday", compute="_compute_dunning_sms_days", inverse="_inverse_dunning_sms_days"
    )

    @api.depends("company_id.dunning_sms_weekdays")
    def _compute_dunning_sms_days(self):
        for settings in self:
            days = parse_weekdays(settings.company_id.dunning_sms_weekdays)
            for number, name in enumerate(SMS_DAY_FIELDS):
                settings[name] = number in days

    def _inverse_dunning_sms_days(self):
        for settings in self:
            days = [str(n) for n, name in enumerate(SMS_DAY_FIELDS) if settings[name]]
            settings.company_id.dunning_sms_weekdays = ",".join(days)
