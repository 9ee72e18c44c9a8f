# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..infrastructure.batch_defaults import add_missing_defaults

# Context key: the messages created under it are about a customer's
# collection (see dunning_partner_id).
COLLECTION_MESSAGE = "dunning_collection_message"


class MailMessage(models.Model):
    _inherit = "mail.message"

    # Set on the messages about a customer's collection posted on its chatter
    # (demand emails and SMS, calls, letters, holds): record rules let a sales
    # rep read them on the customers whose salesperson they are only.
    dunning_partner_id = fields.Many2one(
        "res.partner",
        string="Collection of",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get(COLLECTION_MESSAGE):
            for vals in vals_list:
                if vals.get("model") == "res.partner" and vals.get("res_id"):
                    vals.setdefault("dunning_partner_id", vals["res_id"])
        return super().create(vals_list)

    def _add_missing_default_values(self, values):
        # The chatter copies of a run's emails: defaults looked up once.
        return add_missing_defaults(self, values, super()._add_missing_default_values)
