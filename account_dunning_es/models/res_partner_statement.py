# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's way to its statement page: the token and the link, and
who a token opens. What the page shows and what the customer does there is
``dunning.statement`` (``dunning_statement.py``)."""

import secrets

from odoo import api, fields, models

from ..infrastructure import sql_builders


def statement_page_url(base_url, token):
    """The address of the statement page a customer's token opens."""
    return f"{base_url}/d/{token}"


def statement_link_of(url, communication=None):
    """A customer's statement link, counted for the communication that
    carries it (``?c=``), when there is one."""
    return f"{url}?c={communication.id}" if communication else url


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    dunning_phone_wrong = fields.Boolean(
        string="Phone Number Wrong",
        copy=False,
        help="A collector logged a call to a wrong number: calls and SMS reminders are not "
        "used until the number is corrected.",
    )
    dunning_access_token = fields.Char(
        copy=False,
        index="btree_not_null",
        groups="account_dunning_es.group_dunning_user",
        help="Opens the customer's statement page without a password; resetting it "
        "revokes every link sent so far.",
    )

    def write(self, vals):
        # A corrected number is worth calling again.
        if ({"phone", "mobile"} & set(vals)) and "dunning_phone_wrong" not in vals:
            vals = dict(vals, dunning_phone_wrong=False)
        # The worklist shows a new dispute for a week.
        if vals.get("dunning_reason"):
            vals = dict(vals, dunning_reason_date=fields.Date.context_today(self))
        return super().write(vals)

    def action_dunning_log_call(self):
        return self.env["dunning.call.wizard"]._action_open(self.commercial_partner_id)

    def _dunning_ensure_tokens(self):
        """Make the tokens these customers lack, in one query (a run links
        thousands of reminders to their statement pages)."""
        partners = self.commercial_partner_id.sudo()
        missing = partners.filtered(lambda p: not p.dunning_access_token)
        if missing:
            self.env.cr.execute(
                sql_builders.set_partner_tokens(
                    {partner.id: secrets.token_urlsafe(12) for partner in missing}
                )
            )
            missing.invalidate_recordset(["dunning_access_token"])
        return partners

    def _dunning_statement_token(self):
        """The customer's token, made on first use (commercial entity)."""
        return self._dunning_ensure_tokens()[:1].dunning_access_token

    def _dunning_statement_url(self, communication=None):
        """Short link to the statement page; with the communication that
        carries it, so that what the customer does there is counted for it."""
        self.ensure_one()
        base = self.get_base_url()
        url = statement_page_url(base, self._dunning_statement_token())
        return statement_link_of(url, communication)

    def _dunning_statement_link(self):
        """:meth:`_dunning_statement_url` of a customer (commercial entity)
        whose token is made: a run's thousands of links, no look-up each."""
        self.ensure_one()
        return statement_page_url(self.get_base_url(), self.sudo().dunning_access_token)

    def action_dunning_reset_token(self):
        """Revoke the statement links sent so far: a new token."""
        for partner in self.commercial_partner_id.sudo():
            partner.dunning_access_token = secrets.token_urlsafe(12)
            partner.with_context(dunning_collection_message=True).message_post(
                body=self.env._("The links to the statement page were revoked."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    @api.model
    def _dunning_from_token(self, token):
        """The customer a token opens, or an empty recordset."""
        if not token or len(token) < 12:
            return self.browse()
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("dunning_access_token", "=", token)], limit=1)
            .filtered("active")
        )
