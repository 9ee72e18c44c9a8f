# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="Policy used for customers whose segment has no policy in this company.",
    )
    dunning_review_before_send = fields.Boolean(
        string="Review Reminders Before Sending",
        help="Scheduled runs prepare draft communications that an accountant "
        "reviews and sends, instead of sending them at once.",
    )
    dunning_effect_days = fields.Integer(
        string="Effect Window (Days)",
        default=30,
        help="A payment counts as the effect of a reminder when it arrives at most this "
        "many days after it.",
    )
    dunning_batch_size = fields.Integer(
        default=200,
        help="Customers processed per database transaction by a dunning run.",
    )
