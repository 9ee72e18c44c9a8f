# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Credit at both ends of the relationship: the credit hold a late stage
puts on a customer (Odoo's own blocking warnings), and the credit limit its
payment behaviour suggests (Odoo's own partner credit limit)."""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount

from ..rules import prediction as prediction_rules

# The warnings a hold sets, per add-on: account's on invoices, sale's on sales
# orders (only when Sales is installed: it is no dependency).
HOLD_WARNINGS = (("invoice_warn", "invoice_warn_msg"), ("sale_warn", "sale_warn_msg"))


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    dunning_credit_hold = fields.Boolean(
        string="Credit Hold",
        readonly=True,
        copy=False,
        help="Credit withdrawn by a collection stage: invoices (and sales orders) for "
        "this customer are blocked until it has nothing overdue or promises to pay.",
    )
    dunning_hold_company_id = fields.Many2one(
        "res.company", string="Hold Placed By", readonly=True, copy=False
    )
    dunning_hold_date = fields.Date(string="On Hold Since", readonly=True, copy=False)
    # The warnings the hold replaced, restored when it is lifted.
    dunning_hold_previous = fields.Json(
        string="Warnings Before the Hold", readonly=True, copy=False
    )
    dunning_suggested_credit_limit = fields.Monetary(
        string="Suggested Credit Limit",
        compute="_compute_dunning_suggested_credit_limit",
        currency_field="dunning_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_credit_limit_reason = fields.Char(
        string="Why This Limit",
        compute="_compute_dunning_suggested_credit_limit",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    # ------------------------------------------------------------------
    # Credit hold
    # ------------------------------------------------------------------
    def _dunning_warning_fields(self):
        return [pair for pair in HOLD_WARNINGS if pair[0] in self._fields]

    def _dunning_hold(self, stage, collector, company):
        """Withdraw these customers' credit: Odoo's blocking warnings, with a
        message naming the stage and the collector; the previous warnings are
        kept to be restored."""
        pairs = self._dunning_warning_fields()
        # Read by whoever invoices or sells in the company: in its language.
        env = self.with_context(lang=company._dunning_lang()).env
        for partner in self.commercial_partner_id.filtered(lambda p: not p.dunning_credit_hold):
            message = env._(
                "Credit withdrawn: this customer is at the collection stage "
                "\u201c%(stage)s\u201d. Ask %(collector)s before invoicing or selling to it.",
                stage=stage.with_env(env).name,
                collector=collector.name or env._("the collections department"),
            )
            vals = {
                "dunning_credit_hold": True,
                "dunning_hold_company_id": company.id,
                "dunning_hold_date": fields.Date.context_today(self),
                "dunning_hold_previous": {
                    warn: [partner[warn], partner[msg]] for warn, msg in pairs
                },
            }
            for warn, msg in pairs:
                vals.update({warn: "block", msg: message})
            partner.write(vals)
            partner.with_context(dunning_collection_message=True).message_post(
                body=Markup("<p>%s</p>") % env._("Credit hold placed. %s", message),
                subtype_xmlid="mail.mt_note",
            )

    def _dunning_release_hold(self, reason):
        """Lift the hold and restore the warnings it replaced."""
        for partner in self.filtered("dunning_credit_hold"):
            vals = {
                "dunning_credit_hold": False,
                "dunning_hold_company_id": False,
                "dunning_hold_date": False,
                "dunning_hold_previous": False,
            }
            previous = partner.dunning_hold_previous or {}
            for warn, msg in partner._dunning_warning_fields():
                before = previous.get(warn) or ["no-message", False]
                vals.update({warn: before[0] or "no-message", msg: before[1] or False})
            partner.write(vals)
            partner.with_context(dunning_collection_message=True).message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Credit hold lifted: %(reason)s. Previous warnings restored.", reason=reason
                ),
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _dunning_release_settled_holds(self, partners=None):
        """Lift the holds of customers with nothing overdue in the company that
        placed them, or with an open promise."""
        domain = [("dunning_credit_hold", "=", True)]
        if partners is not None:
            domain.append(("id", "in", partners.commercial_partner_id.ids))
        held = self.sudo().search(domain)
        if not held:
            return
        promised = held._dunning_partners_with_open_promise(held)
        held.filtered(lambda p: p.id in promised)._dunning_release_hold(
            self.env._("a payment promise was registered")
        )
        held = held.filtered(lambda p: p.id not in promised)
        Move = self.env["account.move"]
        overdue = set()
        for company, customers in held.grouped("dunning_hold_company_id").items():
            today = fields.Date.context_today(self.with_company(company))
            overdue |= Move._dunning_overdue_partner_ids(company, customers.ids, today)
        held.filtered(lambda p: p.id not in overdue)._dunning_release_hold(
            self.env._("nothing is overdue any more")
        )

    # ------------------------------------------------------------------
    # Suggested credit limit
    # ------------------------------------------------------------------
    @api.depends_context("company")
    def _compute_dunning_suggested_credit_limit(self):
        company = self.env.company
        since = fields.Date.context_today(self) - timedelta(days=365)
        commercials = self.commercial_partner_id
        invoices = (
            self.env["account.move"]
            .sudo()
            .search_fetch(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("commercial_partner_id", "in", commercials.ids),
                    ("invoice_date", ">=", since),
                ],
                [
                    "commercial_partner_id",
                    "invoice_date",
                    "invoice_date_due",
                    "amount_total_signed",
                ],
            )
        )
        sales = defaultdict(float)
        term_weight = defaultdict(float)
        for move in invoices:
            pid = move.commercial_partner_id.id
            sales[pid] += move.amount_total_signed
            if move.invoice_date_due and move.invoice_date:
                days = (move.invoice_date_due - move.invoice_date).days
                term_weight[pid] += days * move.amount_total_signed
        reasons = self._dunning_credit_reasons()
        for partner in self:
            commercial = partner.commercial_partner_id
            pid = commercial.id
            limit, code = prediction_rules.suggested_credit_limit(
                sales[pid] / 12,
                term_weight[pid] / sales[pid] if sales[pid] else 0,
                commercial.dunning_predicted_days_late,
                commercial.dunning_behaviour or None,
                commercial.dunning_credit_hold or commercial.dunning_status in ("legal", "agency"),
            )
            partner.dunning_suggested_credit_limit = limit or 0.0
            partner.dunning_credit_limit_reason = reasons[code].format(
                sales=format_amount(self.env, sales[pid] / 12, company.currency_id),
                terms=round(term_weight[pid] / sales[pid]) if sales[pid] else 0,
                late=commercial.dunning_predicted_days_late,
            )

    def _dunning_credit_reasons(self):
        base = self.env._(
            "Invoices {sales} a month on {terms}-day terms and pays {late} days late on average: "
        )
        return {
            "withdrawn": self.env._(
                "Its credit is withdrawn (a credit hold, or its debt with an agency or in "
                "court): none until it settles."
            ),
            "no_sales": self.env._("No invoices in the last 12 months: nothing to base it on."),
            "new": base + self.env._("no payment history yet, one cycle of purchases."),
            "on_time": base + self.env._("pays on time, one and a half cycles of purchases."),
            "occasional": base + self.env._("occasionally late, one cycle of purchases."),
            "chronic": base + self.env._("chronically late, half a cycle of purchases."),
            "promise_breaker": base
            + self.env._("breaks promises, a quarter of a cycle of purchases."),
        }

    def action_dunning_accept_credit_limit(self):
        """Odoo's own partner credit limit takes the suggestion."""
        for partner in self:
            limit = partner.dunning_suggested_credit_limit
            partner.commercial_partner_id.credit_limit = limit
            partner.commercial_partner_id.with_context(
                dunning_collection_message=True
            ).message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Credit limit set to %(limit)s, as suggested: %(reason)s",
                    limit=format_amount(self.env, limit, self.env.company.currency_id),
                    reason=partner.dunning_credit_limit_reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True
