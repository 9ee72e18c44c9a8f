# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_policy_id = fields.Many2one(related="company_id.dunning_policy_id", readonly=False)
    dunning_review_before_send = fields.Boolean(
        related="company_id.dunning_review_before_send", readonly=False
    )
    dunning_manager_id = fields.Many2one(related="company_id.dunning_manager_id", readonly=False)
    dunning_ecb_checked = fields.Datetime(related="company_id.dunning_ecb_checked")
    dunning_ecb_error = fields.Char(related="company_id.dunning_ecb_error")
    dunning_batch_size = fields.Integer(related="company_id.dunning_batch_size", readonly=False)
    dunning_effect_days = fields.Integer(related="company_id.dunning_effect_days", readonly=False)

    def action_dunning_setup_policies(self):
        """Copy the main company's dunning policies to the current company."""
        self.ensure_one()
        self.env["dunning.policy"]._copy_to_company(self.company_id)
        return {"type": "ir.actions.client", "tag": "reload"}
