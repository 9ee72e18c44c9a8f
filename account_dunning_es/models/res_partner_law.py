# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the law says of a customer: its late-payment regime (Ley 3/2004
art. 2) and whether its debt could be reported to a credit bureau (LOPDGDD
art. 20.1). The rules are in law_rules."""

from collections import defaultdict

from odoo import api, fields, models

from ..rules import law as law_rules


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    dunning_regime = fields.Selection(
        [
            ("business", "Business or professional"),
            ("administration", "Public administration"),
            ("consumer", "Consumer"),
        ],
        string="Late-Payment Regime",
        compute="_compute_dunning_regime",
        store=True,
        readonly=False,
        tracking=True,
        help="What the late-payment law gives against this customer. Business or "
        "professional (autónomos included) and public administration: Ley 3/2004 interest "
        "and 40 EUR per invoice; an administration is claimed by the LCSP route, never by "
        "monitorio, an agency or a credit bureau. Consumer: outside Ley 3/2004. Set from "
        "the segment, the company flag and the tax id; the accountant can change it.",
    )
    dunning_bureau_eligible = fields.Boolean(
        string="Reportable to Credit Bureau",
        compute="_compute_dunning_bureau",
        help="Whether the debt could be reported to a credit information system now "
        "(LOPDGDD art. 20.1): certain, due and undisputed, at most five years old, 50 EUR "
        "of principal at least, after a warning whose receipt is proven.",
    )
    dunning_bureau_date = fields.Date(string="Reportable From", compute="_compute_dunning_bureau")
    dunning_bureau_amount = fields.Monetary(
        string="Reportable Principal",
        compute="_compute_dunning_bureau",
        currency_field="dunning_currency_id",
    )
    dunning_bureau_basis = fields.Char(string="Credit Bureau", compute="_compute_dunning_bureau")

    @api.depends("dunning_segment_id.code", "is_company", "vat")
    def _compute_dunning_regime(self):
        for partner in self:
            partner.dunning_regime = law_rules.default_regime(
                partner.dunning_segment_id.code == "public", partner.is_company, bool(partner.vat)
            )

    @api.depends_context("company", "date")
    def _compute_dunning_bureau(self):
        """Whether and from when each customer's debt could be reported to a
        credit bureau (LOPDGDD art. 20.1), in one query for the notices and
        one for the invoices of the batch."""
        company = self.env.company
        today = fields.Date.context_today(self)
        commercials = self.commercial_partner_id
        # sudo: a sales rep sees the status, not the letters or invoices.
        notices = defaultdict(list)
        for comm in (
            self.env["dunning.communication"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", commercials.ids),
                    ("company_id", "=", company.id),
                    ("channel", "=", "letter"),
                    ("state", "=", "sent"),
                    ("bureau_notice_date", "!=", False),
                ],
                ["partner_id", "name", "sending_method", "delivery_outcome", "receipt_date"],
            )
        ):
            notices[comm.partner_id.id].append(
                (comm.name, comm.sending_method, comm.delivery_outcome, comm.receipt_date)
            )
        debts = defaultdict(list)
        for move in self._dunning_open_moves(
            [
                "commercial_partner_id",
                "invoice_date_due",
                "amount_residual_signed",
                "dunning_reason",
            ]
        ):
            partner = move.commercial_partner_id
            disputed = (move.dunning_reason or partner.dunning_reason) == "dispute"
            debts[partner.id].append((move.invoice_date_due, move.amount_residual_signed, disputed))
        reasons = self._dunning_bureau_reasons()
        for partner in self:
            commercial = partner.commercial_partner_id
            result = law_rules.bureau_eligibility(
                commercial.dunning_regime, notices[commercial.id], debts[commercial.id], today
            )
            partner.dunning_bureau_eligible = result.eligible
            partner.dunning_bureau_date = result.date
            partner.dunning_bureau_amount = result.amount
            partner.dunning_bureau_basis = (
                self.env._(
                    "Warned by %(ref)s, received %(date)s.", ref=result.evidence, date=result.date
                )
                if result.eligible
                else reasons[result.reason]
            )

    def _dunning_bureau_reasons(self):
        """Why a debt cannot be reported, by the rule's reason code."""
        return {
            "administration": self.env._(
                "A public administration is claimed by the LCSP route, never reported."
            ),
            "nothing_due": self.env._("Nothing overdue."),
            "disputed": self.env._(
                "Every overdue invoice is disputed: a disputed debt is not certain (art. 20.1 b)."
            ),
            "too_old": self.env._(
                "The overdue invoices fell due more than five years ago (art. 20.1 d)."
            ),
            "under_minimum": self.env._("Less than 50 EUR of undisputed principal overdue."),
            "no_notice": self.env._("No letter has warned of the reporting yet (art. 20.1 c)."),
            "notice_not_proven": self.env._(
                "The warning letter's receipt is not proven: ordinary post and plain email "
                "prove none (record a certified delivery with its receipt date)."
            ),
        }
