# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, fields, models


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
    dunning_manager_id = fields.Many2one(
        "res.users",
        string="Dunning Manager",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Receives the calls, meetings and hand-overs of customers who have no "
        "collector, neither on the customer nor on its policy, and no salesperson. "
        "Without one, the first dunning manager of the company.",
    )
    dunning_ecb_checked = fields.Datetime(
        string="ECB Rates Last Read",
        readonly=True,
        help="When the ECB's main refinancing rate was last read to compute the late-payment "
        "rate (Ley 3/2004 art. 7.2).",
    )
    dunning_ecb_error = fields.Char(
        string="ECB Rates Last Problem",
        readonly=True,
        help="Why the last reading of the ECB's rates changed nothing (empty when it worked).",
    )
    dunning_rate_notice = fields.Char(
        readonly=True,
        help="Technical: first day of the semester whose missing late-payment rate the "
        "dunning manager was told about (once per semester).",
    )
    dunning_batch_size = fields.Integer(
        default=200,
        help="Customers processed per database transaction by a dunning run.",
    )

    def _dunning_lang(self):
        """The language of what the add-on writes for everyone of the company
        to read (chatter notes, credit warnings): the company's own."""
        self.ensure_one()
        return self.partner_id.lang or self.env.lang or "en_US"

    def _dunning_manager(self):
        """The company's dunning manager: the one set in Settings, else the
        first person of the group Dunning / Manager working in the company,
        else the first one of any company, else the administrator. Never
        OdooBot, whom the scheduled jobs run as (an activity needs a person:
        a statement page's claim once failed for a company with none)."""
        self.ensure_one()
        if self.dunning_manager_id._dunning_is_person():
            return self.dunning_manager_id
        group = self.env.ref("account_dunning_es.group_dunning_manager")
        managers = [
            ("groups_id", "in", group.ids),
            ("share", "=", False),
            ("id", "!=", SUPERUSER_ID),
        ]
        # sudo: whoever runs (a collector, the cron), the manager is looked up
        # among all users of the group, which a collector may not read. A
        # company no dunning manager works in (a new one, say) takes one of
        # another company: what a customer says on its statement page must
        # still reach a person.
        Users = self.env["res.users"].sudo()
        users = Users.search(managers + [("company_ids", "in", self.ids)], order="id", limit=1)
        users = users or Users.search(managers, order="id", limit=1)
        if not users:
            admin = self.env.ref("base.user_admin", raise_if_not_found=False)
            users = admin.sudo() if admin and admin.active else users
        return users[:1].sudo(False)
