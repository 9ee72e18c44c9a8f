# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    dunning_communication_id = fields.Many2one(
        "dunning.communication",
        string="Dunning Communication",
        index="btree_not_null",
        ondelete="set null",
        help="Collection call, meeting or hand-over this activity was scheduled for.",
    )
