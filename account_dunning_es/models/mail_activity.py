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

    def action_dunning_done(self):
        """*Mark as Done* on the collection activities' own form (Odoo's
        activity form is a dialog's, without its buttons on a page): done,
        on the customer's chatter, and back to the list."""
        self.with_context(dunning_collection_message=True).action_feedback()
        return self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.mail_activity_action_my_collection"
        )
