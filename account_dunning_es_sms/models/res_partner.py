# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import html2plaintext

from ..rules import phone as phone_rules


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_no_sms = fields.Boolean(
        string="No SMS Reminders",
        tracking=True,
        help="The customer asked not to receive collection SMS.",
    )
    dunning_no_ivr = fields.Boolean(
        string="No Automated Calls",
        tracking=True,
        help="The customer asked not to receive automated collection calls.",
    )

    @api.model
    def _dunning_thank_payers(self, invoices):
        """Also thank by SMS where the policy asks, to a valid, willing mobile."""
        thanked = super()._dunning_thank_payers(invoices)
        template = self.env.ref(
            "account_dunning_es_sms.sms_template_thank_you", raise_if_not_found=False
        )
        blacklist = self.env["phone.blacklist"].sudo()
        for partner in thanked:
            company = invoices.filtered(lambda m, p=partner: m.commercial_partner_id == p)[
                :1
            ].company_id
            policy = partner._dunning_policy(company)
            if not (template and policy.thank_you_sms) or partner.dunning_no_sms:
                continue
            country = partner.country_id.code
            regions = ("ES", country) if country and country != "ES" else ("ES",)
            number = phone_rules.normalize_mobile(partner.mobile or partner.phone, regions).number
            if not number or blacklist.search_count([("number", "=", number)]):
                continue
            body = template._render_field("body", partner.ids, compute_lang=True)[partner.id]
            partner._message_sms(
                html2plaintext(body),
                partner_ids=partner.ids,
                sms_pid_to_number={partner.id: number},
                put_in_queue=True,
            )
        return thanked
