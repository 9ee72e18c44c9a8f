# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..rules import court as court_rules
from ..rules import engine as engine_rules
from .account_move import REASONS

PREDICTION_BASES = [
    ("own", "Its own payments"),
    ("blend", "Its own payments and its segment's"),
    ("segment", "Its segment's payments"),
    ("later_than_ever", "Later than any payment seen: two weeks from today"),
    ("none", "No payment history: the due date"),
]

STATUS_SELECTION = [
    ("ok", "Up to date"),
    ("due_soon", "Due soon"),
    ("overdue", "Overdue"),
    ("collection", "In collection"),
    ("promise", "Payment promise"),
    ("agency", "External agency"),
    ("legal", "Legal action"),
    ("excluded", "Excluded"),
]

# Invoices due within this many days make a customer "due soon".
DUE_SOON_DAYS = 7


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_segment_id = fields.Many2one(
        "dunning.segment",
        string="Collection Segment",
        tracking=True,
        help="Chooses the dunning policy: channels and pace of the reminders.",
    )
    dunning_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        tracking=True,
        help="Person responsible for collecting this customer's debts. Without one, the "
        "policy's default collector.",
    )
    dunning_excluded = fields.Boolean(string="Excluded from Dunning", tracking=True)
    dunning_exclusion_reason = fields.Char(tracking=True)
    dunning_masc_form = fields.Selection(
        court_rules.MASC_FORMS,
        string="Negotiation Form",
        help="For this customer, the negotiation stage sends this instead of its "
        "policy's choice (LO 1/2025).",
    )
    dunning_negotiation_ids = fields.One2many(
        "dunning.negotiation", "partner_id", string="Negotiation Attempts"
    )
    dunning_reason = fields.Selection(
        REASONS,
        string="Non-payment Reason",
        tracking=True,
        help="Applies to all the customer's invoices that have no reason of their own.",
    )
    dunning_reason_note = fields.Char(string="Reason Details")
    dunning_reason_date = fields.Date(
        string="Reason Since", readonly=True, help="When the reason was last set."
    )
    dunning_behaviour = fields.Selection(
        [
            ("new", "New / unknown"),
            ("on_time", "Pays on time"),
            ("occasional", "Occasional delays"),
            ("chronic", "Chronic late payer"),
            ("promise_breaker", "Breaks promises"),
        ],
        string="Payment Behaviour",
        readonly=True,
        default="new",
        help="From the last year of payments and promises; updated by the daily run.",
    )
    # The facts behind the payment behaviour, kept by the daily run.
    dunning_paid_count = fields.Integer(string="Invoices Paid (12 Months)", readonly=True)
    dunning_late_count = fields.Integer(string="Paid Late (12 Months)", readonly=True)
    dunning_average_days_late = fields.Integer(string="Average Days Late", readonly=True)
    dunning_broken_recent = fields.Integer(string="Broken Promises (12 Months)", readonly=True)
    # When it pays, kept by the daily run (see prediction_rules).
    dunning_predicted_days_late = fields.Integer(
        string="Usual Days Late",
        readonly=True,
        help="Days after the due date this customer is expected to pay, from its own "
        "payments of the last two years (recent ones weigh more) blended with its "
        "segment's.",
    )
    dunning_prediction_basis = fields.Selection(
        PREDICTION_BASES, string="Prediction Based On", readonly=True
    )
    dunning_behaviour_basis = fields.Char(
        string="Behaviour Based On", compute="_compute_dunning_behaviour_basis"
    )
    dunning_promise_ids = fields.One2many(
        "dunning.promise", "partner_id", string="Payment Promises"
    )
    dunning_promise_count = fields.Integer(compute="_compute_dunning_promise_counts")
    dunning_broken_promise_count = fields.Integer(
        string="Broken Promises", compute="_compute_dunning_promise_counts"
    )
    dunning_communication_ids = fields.One2many(
        "dunning.communication", "partner_id", string="Dunning Communications"
    )
    dunning_communication_count = fields.Integer(compute="_compute_dunning_communication_count")

    dunning_may_see = fields.Boolean(
        compute="_compute_dunning_may_see",
        help="Whether you may see this customer's collection (a sales rep sees the "
        "customers whose salesperson they are).",
    )
    # Account status, computed for the current company in one batch.
    dunning_status = fields.Selection(
        STATUS_SELECTION,
        compute="_compute_dunning_status",
        search="_search_dunning_status",
        string="Collection Status",
    )
    dunning_stage_id = fields.Many2one(
        "dunning.stage", compute="_compute_dunning_status", string="Current Dunning Stage"
    )
    dunning_overdue_amount = fields.Monetary(
        compute="_compute_dunning_status",
        string="Overdue Amount",
        currency_field="dunning_currency_id",
    )
    dunning_currency_id = fields.Many2one("res.currency", compute="_compute_dunning_status")
    dunning_oldest_due_date = fields.Date(
        compute="_compute_dunning_status", string="Oldest Due Date"
    )
    dunning_days_overdue = fields.Integer(compute="_compute_dunning_status", string="Days Overdue")
    dunning_expected_date = fields.Date(
        compute="_compute_dunning_status",
        string="Next Expected Payment",
        help="Earliest predicted payment date of its overdue invoices.",
    )
    dunning_next_action_date = fields.Date(
        compute="_compute_dunning_status", string="Next Dunning Action"
    )
    dunning_policy_id = fields.Many2one(
        "dunning.policy", compute="_compute_dunning_status", string="Dunning Policy"
    )
    dunning_responsible_id = fields.Many2one(
        "res.users",
        compute="_compute_dunning_status",
        string="Responsible Collector",
        help="Who works this customer's collection: its collector, else the policy's "
        "default collector, else its salesperson, else the company's dunning manager.",
    )

    def _compute_dunning_communication_count(self):
        groups = self.env["dunning.communication"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.dunning_communication_count = counts.get(partner.commercial_partner_id.id, 0)

    def _compute_dunning_promise_counts(self):
        groups = self.env["dunning.promise"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id", "state"],
            ["__count"],
        )
        counts = defaultdict(int)
        broken = defaultdict(int)
        for partner, state, count in groups:
            counts[partner.id] += count
            if state == "broken":
                broken[partner.id] += count
        for partner in self:
            partner.dunning_promise_count = counts[partner.commercial_partner_id.id]
            partner.dunning_broken_promise_count = broken[partner.commercial_partner_id.id]

    @api.depends(
        "dunning_behaviour",
        "dunning_paid_count",
        "dunning_late_count",
        "dunning_average_days_late",
        "dunning_broken_recent",
    )
    def _compute_dunning_behaviour_basis(self):
        for partner in self:
            if not partner.dunning_behaviour:
                partner.dunning_behaviour_basis = False
                continue
            basis = self.env._(
                "Last 12 months: %(paid)s invoices paid, %(late)s late (%(average)s days late on "
                "average), %(broken)s broken promises.",
                paid=partner.dunning_paid_count,
                late=partner.dunning_late_count,
                average=partner.dunning_average_days_late,
                broken=partner.dunning_broken_recent,
            )
            if partner.dunning_late_count and (
                partner.dunning_paid_count < engine_rules.BEHAVIOUR_MIN_HISTORY
            ):
                basis += " " + self.env._(
                    "Too short a history to call it chronic (fewer than %(count)s invoices paid).",
                    count=engine_rules.BEHAVIOUR_MIN_HISTORY,
                )
            partner.dunning_behaviour_basis = basis

    def _dunning_policy(self, company):
        """Policy that applies to this customer in ``company``.

        The segment's policy (else the company's default), or its policy for
        chronic late payers when the customer is one.
        """
        self.ensure_one()
        commercial = self.commercial_partner_id
        segment = commercial.dunning_segment_id
        policy = segment._policy_for_company(company) if segment else company.dunning_policy_id
        return policy._for_behaviour(commercial.dunning_behaviour) if policy else policy

    @api.model
    def _dunning_update_behaviour(self, company):
        """Classify every customer with invoices paid or promises in the last year."""
        since = fields.Date.subtract(fields.Date.context_today(self), years=1)
        history = self._dunning_paid_history(company, since)
        broken = defaultdict(int)
        for partner, count in self.env["dunning.promise"]._read_group(
            [
                ("company_id", "=", company.id),
                ("state", "=", "broken"),
                ("broken_date", ">=", since),
            ],
            ["partner_id"],
            ["__count"],
        ):
            broken[partner.id] = count
        # Customers with the same facts are written together; the ORM flushes
        # the rest in batched UPDATEs.
        by_facts = defaultdict(list)
        for partner_id in set(history) | set(broken):
            facts = engine_rules.behaviour_facts(history[partner_id], broken[partner_id])
            behaviour = engine_rules.payment_behaviour(history[partner_id], broken[partner_id])
            by_facts[
                (behaviour, facts.paid, facts.late, round(facts.average_days_late), facts.broken)
            ].append(partner_id)
        for (behaviour, paid, late, average, broken_count), partner_ids in by_facts.items():
            self.browse(partner_ids).write(
                {
                    "dunning_behaviour": behaviour,
                    "dunning_paid_count": paid,
                    "dunning_late_count": late,
                    "dunning_average_days_late": average,
                    "dunning_broken_recent": broken_count,
                }
            )

    @api.model
    def _dunning_paid_history(self, company, since):
        """{customer id: [(due date, date of the last payment)]} of the company's
        invoices due since ``since`` and paid, in two queries."""
        Move = self.env["account.move"]
        paid = Move.search_fetch(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("paid", "in_payment")),
                ("invoice_date_due", ">=", since),
            ],
            ["commercial_partner_id", "invoice_date_due"],
        )
        payments = paid._dunning_payments()
        history = defaultdict(list)
        for move in paid:
            dates = [pay_date for pay_date, _amount in payments.get(move.id, [])]
            if dates:
                history[move.commercial_partner_id.id].append((move.invoice_date_due, max(dates)))
        return history

    def _dunning_invoice_contacts(self):
        """{customer id: id of its invoice address contact, else itself}, in one query."""
        contacts = self.search_fetch(
            [("parent_id", "in", self.ids), ("type", "=", "invoice")],
            ["parent_id"],
            order="id desc",
        )
        result = {partner.id: partner.id for partner in self}
        for contact in contacts:  # the oldest invoice contact is written last and wins
            result[contact.parent_id.id] = contact.id
        return result

    def _dunning_collector(self, policy, manager=None):
        """The person who works this customer's collection, never a bot.

        The customer's collector, else the policy's default collector, else
        the customer's salesperson, else the company's dunning manager.

        :param manager: the company's dunning manager when the caller has it
            already (a run asks for many customers)
        """
        self.ensure_one()
        commercial = self.commercial_partner_id
        for user in (commercial.dunning_collector_id, policy.collector_id, commercial.user_id):
            if user._dunning_is_person():
                return user
        if manager is None:
            company = policy.company_id or self.env.company
            manager = company._dunning_manager()
        return manager

    @api.model
    def _dunning_sees_every_customer(self):
        """Whether the current user may see the collection of every customer:
        those who work the receivables (billing users, hence collectors and
        dunning managers) and sales managers who see all documents. A sales
        rep sees the customers whose salesperson they are."""
        user = self.env.user
        return (
            self.env.su
            or user.has_group("account.group_account_invoice")
            or user.has_group("sales_team.group_sale_salesman_all_leads")
        )

    def _dunning_visible(self):
        """The partners of ``self`` whose collection the current user may see."""
        if self._dunning_sees_every_customer():
            return self
        return self.filtered(lambda p: p.commercial_partner_id.user_id == self.env.user)

    @api.depends_context("uid")
    def _compute_dunning_may_see(self):
        visible = self._dunning_visible()
        for partner in self:
            partner.dunning_may_see = partner in visible

    @api.depends_context("company", "date", "uid")
    def _compute_dunning_status(self):
        """Status of each customer's account in the current company.

        One query fetches the open invoices of every partner of the batch;
        the rest is arithmetic. A customer whose collection the user may not
        see (another sales rep's) shows none.
        """
        hidden = self - self._dunning_visible()
        for partner in hidden:
            partner.update(
                {
                    "dunning_status": False,
                    "dunning_stage_id": False,
                    "dunning_overdue_amount": 0.0,
                    "dunning_currency_id": False,
                    "dunning_oldest_due_date": False,
                    "dunning_expected_date": False,
                    "dunning_days_overdue": 0,
                    "dunning_policy_id": False,
                    "dunning_responsible_id": False,
                    "dunning_next_action_date": False,
                }
            )
        (self - hidden)._dunning_compute_status()

    def _dunning_compute_status(self):
        company = self.env.company
        today = fields.Date.context_today(self)
        commercials = self.commercial_partner_id
        moves = self._dunning_open_moves(
            [
                "commercial_partner_id",
                "invoice_date_due",
                "amount_residual_signed",
                "dunning_stage_id",
                "dunning_last_date",
                "dunning_excluded",
                "dunning_predicted_date",
            ],
        )
        by_partner = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            by_partner[move.commercial_partner_id.id] |= move
        promise_partners = self._dunning_partners_with_open_promise(commercials)
        manager = company._dunning_manager()
        for partner in self:
            commercial = partner.commercial_partner_id
            policy = commercial._dunning_policy(company)
            open_moves = by_partner[commercial.id].filtered(lambda m: not m.dunning_excluded)
            overdue = open_moves.filtered(
                lambda m: m.invoice_date_due and m.invoice_date_due < today
            )
            stages = open_moves.dunning_stage_id
            oldest = min(overdue.mapped("invoice_date_due"), default=False)
            partner.dunning_status = self._dunning_status_of(
                commercial, open_moves, overdue, promise_partners, today
            )
            partner.dunning_stage_id = (
                stages.sorted(lambda s: (s.sequence, s.id))[-1:] if stages else False
            )
            partner.dunning_overdue_amount = sum(overdue.mapped("amount_residual_signed"))
            partner.dunning_currency_id = company.currency_id
            partner.dunning_oldest_due_date = oldest
            partner.dunning_expected_date = min(
                overdue.filtered("dunning_predicted_date").mapped("dunning_predicted_date"),
                default=False,
            )
            partner.dunning_days_overdue = engine_rules.days_overdue(oldest, today) if oldest else 0
            partner.dunning_policy_id = policy
            partner.dunning_responsible_id = (
                commercial._dunning_collector(policy, manager) if policy else False
            )
            partner.dunning_next_action_date = (
                self._dunning_next_action_date(open_moves, policy, today)
                if policy and not commercial.dunning_excluded
                else False
            )

    @api.model
    def _dunning_status_of(self, commercial, open_moves, overdue, promise_partners, today):
        """A customer's status from its open and overdue invoices (the rule is
        engine_rules.partner_status)."""
        staged_overdue = overdue.filtered(lambda m: m.dunning_stage_id)
        handovers = set(staged_overdue.dunning_stage_id.mapped("handover"))
        return engine_rules.partner_status(
            excluded=commercial.dunning_excluded,
            has_legal="legal" in handovers,
            has_agency="agency" in handovers,
            has_open_promise=commercial.id in promise_partners,
            has_staged_overdue=bool(staged_overdue),
            has_overdue=bool(overdue),
            has_due_soon=any(
                m.invoice_date_due and m.invoice_date_due <= today + timedelta(days=DUE_SOON_DAYS)
                for m in open_moves
            ),
        )

    def _dunning_open_moves(self, field_names):
        """The open invoices of these customers in the current company,
        excluded ones included, in one query (the status and the credit-bureau
        status read them)."""
        # sudo: sales reps see the account status of their customers, not the
        # invoices themselves; the domain keeps to the current company.
        Move = self.env["account.move"].sudo()
        return Move.search_fetch(
            Move._dunning_open_domain(self.env.company, include_excluded=True)
            + [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
            field_names,
        )

    @api.model
    def _dunning_next_action_date(self, moves, policy, today):
        stage_infos = policy._stage_infos()
        days = []
        for move in moves:
            wait = engine_rules.next_action_day(
                stage_infos,
                move.dunning_stage_id.sequence if move.dunning_stage_id else None,
                engine_rules.days_overdue(move.invoice_date_due, today),
                (today - move.dunning_last_date).days if move.dunning_last_date else None,
                policy.min_days_between,
                policy.grace_days,
            )
            if wait is not None:
                days.append(wait)
        return today + timedelta(days=min(days)) if days else False

    @api.model
    def _dunning_partners_with_open_promise(self, partners):
        """Ids of the partners with an open payment promise, in one query."""
        groups = (
            self.env["dunning.promise"]
            .sudo()
            ._read_group(
                [("partner_id", "in", partners.ids), ("state", "=", "open")], ["partner_id"]
            )
        )
        return {partner.id for (partner,) in groups}

    @api.model
    def _dunning_thank_payers(self, invoices):
        """Thank the customers in collection who have just paid everything.

        Only customers for whom one of the paid invoices had reached a stage,
        and who have nothing open and overdue left, where the policy says so.
        """
        staged = invoices.filtered(
            lambda m: m.dunning_stage_id and m.payment_state in ("paid", "in_payment")
        )
        if not staged:
            return self.browse()
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        still_open = Move._read_group(
            Move._dunning_open_domain(include_excluded=True)
            + [
                ("commercial_partner_id", "in", staged.commercial_partner_id.ids),
                ("invoice_date_due", "<", today),
            ],
            ["commercial_partner_id", "company_id"],
        )
        open_keys = {(partner.id, company.id) for partner, company in still_open}
        thanked = self.browse()
        for (partner, company), _moves in staged.grouped(
            lambda m: (m.commercial_partner_id, m.company_id)
        ).items():
            if (partner.id, company.id) in open_keys:
                continue
            policy = partner._dunning_policy(company)
            if policy and policy.thank_you and policy.thank_you_template_id:
                partner.with_company(company).with_context(
                    mail_notify_force_send=False, dunning_collection_message=True
                ).message_post_with_source(
                    policy.thank_you_template_id, subtype_xmlid="mail.mt_comment"
                )
                thanked |= partner
        return thanked

    def _search_dunning_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the collection status."))
        values = {value} if isinstance(value, str) else set(value or [])
        # sudo: as for the status itself, sales reps search customers by their
        # status without reading invoices; the domain keeps to the company.
        Move = self.env["account.move"].sudo()
        groups = Move._read_group(
            Move._dunning_open_domain(self.env.company, include_excluded=True),
            ["commercial_partner_id"],
        )
        partners = self.browse([partner.id for (partner,) in groups])
        partners |= self.search([("dunning_excluded", "=", True)])
        if "ok" in values:
            # Customers with nothing open are up to date: match all but the
            # customers with open items in another status.
            others = partners.filtered(lambda p: p.dunning_status not in values)
            domain = [("id", "not in", others.ids)]
        else:
            domain = [("id", "in", partners.filtered(lambda p: p.dunning_status in values).ids)]
        if operator in ("!=", "not in"):
            domain = ["!", *domain]
        if not self._dunning_sees_every_customer():
            # The status of another sales rep's customer is not theirs to see.
            domain = ["&", ("commercial_partner_id.user_id", "=", self.env.uid), *domain]
        return domain

    # ------------------------------------------------------------------
    # Actions (buttons and server actions)
    # ------------------------------------------------------------------
    def action_dunning_send_now(self):
        """Issue now the next stage of every open invoice of these customers."""
        company = self.env.company
        moves = self.env["account.move"].search(
            self.env["account.move"]._dunning_open_domain(company)
            + [("commercial_partner_id", "in", self.commercial_partner_id.ids)]
        )
        if not moves:
            raise UserError(
                self.env._(
                    "These customers have no open invoice to claim in %(company)s.",
                    company=company.name,
                )
            )
        return moves.action_dunning_send_now()

    def action_dunning_reset(self):
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("move_type", "=", "out_invoice"),
                ("dunning_stage_id", "!=", False),
            ]
        )
        return moves.action_dunning_reset()

    def action_dunning_exclude(self):
        return self.env["dunning.exclude.wizard"]._action_open(self.commercial_partner_id)

    # What a collector records of a customer: collectors work the
    # receivables but may not edit contacts (README's access matrix).
    COLLECTOR_FIELDS = frozenset(
        {"dunning_reason", "dunning_reason_note", "dunning_phone_wrong", "dunning_reason_date"}
    )

    def _dunning_collector_write(self, vals):
        """Write what a collector records of these customers (the reason
        they gave, a wrong number), with the add-on's rights, and only those
        fields; for a collector or whoever works the receivables."""
        if set(vals) - self.COLLECTOR_FIELDS:
            raise UserError(self.env._("Only the customer's collection facts are recorded here."))
        if not self.env.user.has_group("account_dunning_es.group_dunning_user"):
            raise AccessError(self.env._("Only collectors record what a customer said."))
        return self.sudo().write(vals)

    def action_dunning_register_promise(self):
        return self.env["dunning.promise.wizard"]._action_open(self.commercial_partner_id)

    def action_view_dunning_promises(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.dunning_promise_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_dunning_include(self):
        self.commercial_partner_id.write(
            {"dunning_excluded": False, "dunning_exclusion_reason": False}
        )
        return True

    def action_view_dunning_communications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.dunning_communication_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
