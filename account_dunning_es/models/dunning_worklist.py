# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The collectors' worklist: the customers who need a person today, by
priority. Rebuilt after each daily run, when a collector refreshes it, and
for a customer when something is logged on it."""

from datetime import timedelta

from odoo import api, fields, models

from ..rules import worklist as rules

REASONS = [
    ("activity", "Activity due"),
    ("promise_due", "Promise due today"),
    ("promise_broken", "Promise broken"),
    ("dispute", "New dispute"),
    ("handover", "Hand-over to prepare"),
    ("failed", "No channel that works"),
]
# A dispute or a hand-over stays on the worklist this many days.
RECENT_DAYS = 7


def among(partners, field="partner_id"):
    """Domain keeping to these customers (none: every customer)."""
    return [(field, "in", partners.ids)] if partners is not None else []


class DunningWorklist(models.Model):
    _name = "dunning.worklist"
    _description = "Collection Worklist"
    _order = "score desc, amount desc, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    user_id = fields.Many2one("res.users", string="Collector", index=True)
    team_id = fields.Many2one(related="user_id.sale_team_id", string="Team", store=True)
    segment_id = fields.Many2one(related="partner_id.dunning_segment_id", store=True)
    phone = fields.Char(help="Mobile, else phone, of the customer.")
    # The codes are stored; the words are the reader's, at display time.
    reasons = fields.Char(string="Why Today", compute="_compute_reasons")
    reason_codes = fields.Char(help="Technical: the reasons' codes, comma separated.")
    main_reason = fields.Selection(REASONS)
    amount = fields.Monetary(string="Overdue Amount", currency_field="currency_id")
    days_overdue = fields.Integer()
    stage_id = fields.Many2one("dunning.stage", string="Stage")
    score = fields.Integer(string="Priority", index=True)
    score_amount = fields.Integer(string="Amount Points")
    score_days = fields.Integer(string="Days Points")
    score_stage = fields.Integer(string="Stage Points")
    score_behaviour = fields.Integer(string="Behaviour Points")
    score_broken = fields.Integer(string="Broken Promises Points")
    score_strategic = fields.Integer(string="Strategic Points")
    score_expected = fields.Integer(
        string="Expected Payment Points", help="Its next payment is predicted far off."
    )
    expected_date = fields.Date(
        string="Expected Payment", help="Earliest predicted payment date of its overdue invoices."
    )
    score_detail = fields.Char(string="Priority Basis", compute="_compute_score_detail")

    _sql_constraints = [
        ("partner_company_unique", "UNIQUE(partner_id, company_id)", "One row per customer."),
    ]

    @api.depends_context("lang")
    def _compute_score_detail(self):
        for item in self:
            item.score_detail = self.env._(
                "amount %(amount)s + days %(days)s + stage %(stage)s + behaviour "
                "%(behaviour)s + broken promises %(broken)s + strategic %(strategic)s + "
                "payment far off %(expected)s",
                amount=item.score_amount,
                days=item.score_days,
                stage=item.score_stage,
                behaviour=item.score_behaviour,
                broken=item.score_broken,
                strategic=item.score_strategic,
                expected=item.score_expected,
            )

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------
    @api.model
    def _needs(self, company, today, partners=None):
        """{customer id: set of reason codes} of those who need a person today."""
        needs = {}
        for code, partner_ids in [
            *self._needs_to_follow_up(company, today, partners),
            *self._needs_of_new_events(company, today, partners),
        ]:
            for pid in partner_ids:
                needs.setdefault(pid, set()).add(code)
        # Only customers in collection: an overdue invoice in the company.
        customers = (
            self.env["account.move"].sudo()._dunning_overdue_partner_ids(company, needs, today)
        )
        if partners is not None:
            customers &= set(partners.ids)
        return {pid: codes for pid, codes in needs.items() if pid in customers}

    @api.model
    def _needs_to_follow_up(self, company, today, partners=None):
        """[(reason code, customer ids)]: activities due, promises due or
        broken lately, communications that failed lately."""
        groups = (
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", "res.partner"),
                    ("date_deadline", "<=", today),
                    *among(partners, "res_id"),
                ],
                ["res_id"],
            )
        )
        Promise = self.env["dunning.promise"].sudo()
        scope = [("company_id", "=", company.id), *among(partners)]
        due = Promise.search(scope + [("state", "=", "open"), ("next_date", "<=", today)])
        broken = Promise.search(
            scope + [("state", "=", "broken"), ("broken_date", ">=", today - timedelta(days=30))]
        )
        failed = (
            self.env["dunning.communication"]
            .sudo()
            .search(scope + [("state", "=", "failed"), ("date", ">=", today - timedelta(days=7))])
        )
        return [
            ("activity", {res_id for (res_id,) in groups}),
            ("promise_due", set(due.partner_id.ids)),
            ("promise_broken", set(broken.partner_id.ids)),
            ("failed", set(failed.partner_id.commercial_partner_id.ids)),
        ]

    @api.model
    def _needs_of_new_events(self, company, today, partners=None):
        """[(reason code, customer ids)]: disputes raised and hand-overs
        issued in the last RECENT_DAYS days."""
        recent = today - timedelta(days=RECENT_DAYS)
        Move = self.env["account.move"].sudo()
        disputes = Move.search_fetch(
            Move._dunning_open_domain(company, include_excluded=True)
            + [("dunning_reason", "=", "dispute"), ("dunning_reason_date", ">=", recent)]
            + among(partners, "commercial_partner_id"),
            ["commercial_partner_id"],
        )
        customer_disputes = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("dunning_reason", "=", "dispute"),
                    ("dunning_reason_date", ">=", recent),
                    ("parent_id", "=", False),
                ]
                + among(partners, "id")
            )
        )
        handovers = (
            self.env["dunning.communication"]
            .sudo()
            .search(
                [("company_id", "=", company.id), *among(partners)]
                + [
                    ("channel", "in", ("agency", "legal")),
                    ("state", "=", "sent"),
                    ("date", ">=", recent),
                ]
            )
        )
        return [
            ("dispute", set(disputes.commercial_partner_id.ids) | set(customer_disputes.ids)),
            ("handover", set(handovers.partner_id.commercial_partner_id.ids)),
        ]

    @api.model
    def _rebuild(self, company, partners=None):
        """Rebuild the company's worklist (or only these customers' rows)."""
        today = fields.Date.context_today(self)
        needs = self._needs(company, today, partners)
        existing = self.sudo().search([("company_id", "=", company.id), *among(partners)])
        existing.filtered(lambda item: item.partner_id.id not in needs).unlink()
        existing = existing.exists()
        by_partner = {item.partner_id.id: item for item in existing}
        customers = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .with_context(date=today)
            .browse(list(needs))
        )
        strategic = self.env.ref(
            "account_dunning_es.dunning_segment_strategic", raise_if_not_found=False
        )
        manager = company._dunning_manager()
        vals_by_partner = {
            customer.id: dict(
                self._row_values(customer, needs[customer.id], strategic, today, manager),
                company_id=company.id,
            )
            for customer in customers
        }
        # A refresh on the same day changes few rows: write only those, from
        # the rows as they are, read once.
        names = list(next(iter(vals_by_partner.values()), {}))
        current = {row["partner_id"]: row for row in existing.read(names, load=None)}
        for partner_id, row in current.items():
            changes = rules.changed_values(row, vals_by_partner[partner_id])
            if changes:
                by_partner[partner_id].write(changes)
        self.sudo().create(
            [vals for partner_id, vals in vals_by_partner.items() if partner_id not in current]
        )
        return True

    @api.depends("reason_codes")
    @api.depends_context("lang")
    def _compute_reasons(self):
        labels = dict(self._fields["main_reason"]._description_selection(self.env))
        for row in self:
            codes = (row.reason_codes or "").split(",")
            row.reasons = ", ".join(labels[code] for code in codes if code in labels)

    @api.model
    def _row_values(self, customer, codes, strategic, today, manager=None):
        stage = customer.dunning_stage_id
        expected = customer.dunning_expected_date
        stage_kind = "handover" if stage.handover else (stage.tone or None)
        parts = rules.priority_parts(
            customer.dunning_overdue_amount,
            customer.dunning_days_overdue,
            stage_kind,
            customer.dunning_behaviour,
            customer.dunning_broken_recent,
            bool(strategic) and customer.dunning_segment_id == strategic,
            (expected - today).days if expected else None,
        )
        policy = customer.dunning_policy_id
        order = [code for code, _label in REASONS if code in codes]
        return {
            "partner_id": customer.id,
            "user_id": customer._dunning_collector(policy, manager).id if policy else False,
            "phone": customer.mobile or customer.phone or False,
            "reason_codes": ",".join(order),
            "main_reason": order[0] if order else False,
            "amount": customer.dunning_overdue_amount,
            "days_overdue": customer.dunning_days_overdue,
            "stage_id": stage.id or False,
            "score": rules.priority_score(parts),
            "score_amount": parts.amount,
            "score_days": parts.days,
            "score_stage": parts.stage,
            "score_behaviour": parts.behaviour,
            "score_broken": parts.broken,
            "score_strategic": parts.strategic,
            "score_expected": parts.expected,
            "expected_date": expected or False,
        }

    @api.model
    def _cron_rebuild(self):
        for company in self.env["dunning.policy"].sudo()._read_group([], ["company_id"]):
            self.with_company(company[0])._rebuild(company[0])

    # ------------------------------------------------------------------
    # Actions from a row
    # ------------------------------------------------------------------
    def action_refresh(self):
        self._rebuild(self.env.company)
        # The list again, without reloading the whole page.
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_log_call(self):
        self.ensure_one()
        return self.env["dunning.call.wizard"]._action_open(self.partner_id)

    def action_register_promise(self):
        self.ensure_one()
        return self.partner_id.action_dunning_register_promise()

    def action_open_customer(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }

    def action_open_statement(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": self.partner_id._dunning_statement_url(),
            "target": "new",
        }
