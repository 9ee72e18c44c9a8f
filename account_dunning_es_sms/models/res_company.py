# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64

from odoo import api, fields, models
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import ValidationError

from ..infrastructure import sip_dialler
from ..rules.ivr import is_pcm_wav
from ..rules.phone import next_allowed_time, parse_weekdays


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

    # Automated calls (IVR) through the company's own PBX or SIP trunk.
    dunning_ivr_host = fields.Char(
        string="PBX / SIP Trunk",
        help="Host (and port) of the company's PBX or SIP trunk, e.g. pbx.example.com:5060. "
        "The numbers are called as sip:<number>@<host>.",
    )
    dunning_ivr_user = fields.Char(
        string="SIP User",
        help="The account the calls go out from; the dialler registers with the PBX when "
        "set. Leave empty for a trunk that authorises this server by its address.",
    )
    dunning_ivr_password = fields.Char(string="SIP Password", groups="base.group_system")
    dunning_ivr_caller_id = fields.Char(
        string="Caller ID", help="The number or name shown to the customer (if the PBX lets it)."
    )
    dunning_ivr_proxy = fields.Char(
        string="Outbound Proxy", help="Host (and port) of an outbound SIP proxy, if any."
    )
    dunning_ivr_max_calls = fields.Integer(
        string="Calls at Once",
        default=2,
        help="At most this many automated calls at the same time (the PBX's channels).",
    )
    dunning_ivr_greeting = fields.Binary(
        string="Recorded Greeting",
        attachment=True,
        help="A WAV file (PCM, mono) the call plays first: the company's own voice.",
    )
    dunning_ivr_greeting_name = fields.Char(string="Greeting File Name")

    @api.constrains("dunning_ivr_greeting")
    def _check_dunning_ivr_greeting(self):
        for company in self.filtered("dunning_ivr_greeting"):
            if not is_pcm_wav(base64.b64decode(company.dunning_ivr_greeting)):
                raise ValidationError(
                    self.env._(
                        "The greeting must be a WAV file with PCM sound (16-bit, mono); "
                        "save it again in that format."
                    )
                )

    @api.constrains("dunning_ivr_max_calls")
    def _check_dunning_ivr_max_calls(self):
        if any(company.dunning_ivr_max_calls < 1 for company in self):
            raise ValidationError(self.env._("At least one automated call at once."))

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

    def _dunning_phone_allowed_time(self, now):
        """First moment from ``now`` (naive UTC) when SMS and automated calls
        may reach the company's customers (its allowed hours and days)."""
        self.ensure_one()
        return next_allowed_time(
            now,
            self.dunning_sms_tz,
            self.dunning_sms_hour_from,
            self.dunning_sms_hour_to,
            parse_weekdays(self.dunning_sms_weekdays),
        )

    def _dunning_ivr_settings(self):
        """The dialler's settings: the company's PBX and its limits."""
        self.ensure_one()
        company = self.sudo()
        params = self.env["ir.config_parameter"].sudo()
        return sip_dialler.Settings(
            host=company.dunning_ivr_host,
            user=company.dunning_ivr_user or "",
            password=company.dunning_ivr_password or "",
            caller_id=company.dunning_ivr_caller_id or "",
            proxy=company.dunning_ivr_proxy or "",
            max_calls=max(company.dunning_ivr_max_calls, 1),
            ring_seconds=int(params.get_param("account_dunning_es_sms.ivr_ring_seconds", 30)),
            listen_seconds=int(params.get_param("account_dunning_es_sms.ivr_listen_seconds", 8)),
        )
