# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..infrastructure import sql_builders
from ..rules import engine as engine_rules

REASONS = [
    ("forgotten", "Forgotten"),
    ("missing_document", "Missing document or data on our side"),
    ("dispute", "Dispute / quality claim"),
    ("financial", "Financial difficulty"),
    ("unwilling", "Unwilling / suspected fraud"),
    ("other", "Other"),
]
# What a reason asks of the collector: the type of the activity to schedule
REASON_ACTIVITIES = {
    "dispute": "mail.mail_activity_data_todo",
    "missing_document": "mail.mail_activity_data_todo",
    "financial": "mail.mail_activity_data_call",
}


# A review closed: by the collector, or by the policy's limit.
REVIEW_CLEARED = {
    "dunning_review": False,
    "dunning_review_date": False,
    "dunning_claim_date": False,
    "dunning_claim_amount": False,
}


class AccountMove(models.Model):
    _inherit = "account.move"

    # Indexed: every batch of the run, the status of customers, the worklist
    # and the statement page read the invoices of given customers. Without
    # the index each of those reads scans the whole table (about 200 ms at
    # 1,000,000 moves, three times per batch of 500 customers).
    commercial_partner_id = fields.Many2one(index=True)
    # Not indexed, nor are the other columns a run writes on every invoice it
    # claims (sql_builders.claim_moves; a test keeps it so): PostgreSQL then
    # updates those rows in place (HOT) where their page has room, instead of
    # adding an entry to each index of account_move (28 in the benchmarks'
    # database) for every claimed invoice. With the index, the second day of
    # the 1,000,000-move benchmark took 21.7 to 24.5 s against 11.8 s without:
    # the planner chose it for _handed_over_partner_ids and read all of it,
    # 0.33 s a batch instead of 0.03 (tests/benchmarks/README.rst).
    dunning_stage_id = fields.Many2one(
        "dunning.stage",
        string="Dunning Stage",
        copy=False,
        help="Last dunning stage issued for this invoice in its current cycle.",
    )
    dunning_last_date = fields.Date(string="Last Reminder", copy=False, readonly=True)
    dunning_count = fields.Integer(string="Reminders", copy=False, readonly=True)
    dunning_cycle = fields.Integer(
        copy=False, readonly=True, help="Incremented each time the dunning stage is reset."
    )
    dunning_excluded = fields.Boolean(string="Excluded from Dunning", copy=False, tracking=True)
    dunning_face_number = fields.Char(
        string="FACe Registry Number",
        copy=False,
        help="Number the public administration's registry (FACe) gave the e-invoice: "
        "quoted in the letters that claim it.",
    )
    dunning_conformity_date = fields.Date(
        string="Conformity Approved On",
        copy=False,
        help="Public administrations: day the administration approved the conformity of "
        "the goods or services. It must pay within 30 days of it (LCSP art. 198.4); "
        "late-payment interest runs from then.",
    )
    dunning_exclusion_reason = fields.Char(copy=False)
    dunning_line_ids = fields.One2many(
        "dunning.communication.line", "move_id", string="Dunning History"
    )
    dunning_predicted_date = fields.Date(
        string="Expected Payment",
        copy=False,
        readonly=True,
        help="When this invoice is expected to be paid: its promise's next instalment, "
        "else the customer's usual delay (kept by the daily run).",
    )
    dunning_reason = fields.Selection(
        REASONS,
        string="Non-payment Reason",
        copy=False,
        tracking=True,
        help="Why the customer has not paid, as learnt from a call. A dispute pauses "
        "dunning; suspected fraud goes straight to the final letter.",
    )
    dunning_reason_note = fields.Char(string="Reason Details", copy=False)
    dunning_reason_date = fields.Date(
        string="Reason Since", copy=False, readonly=True, help="When the reason was last set."
    )
    dunning_paused_until = fields.Date(
        string="No Reminder Until",
        copy=False,
        help="The customer said on its statement page that it has paid: no reminder "
        "until this day, while the collector checks it.",
    )
    # What the customer said on its statement page, while the collector
    # checks it: the invoice rests (engine_rules.review_rests).
    dunning_review = fields.Selection(
        [("paid", "Says it has paid"), ("reason", "Gave a reason")],
        string="Customer's Word Under Review",
        copy=False,
        readonly=True,
        help="The customer said on its statement page that it has paid this invoice, or why "
        "it does not pay it. The invoice gets no reminder until the collector presses "
        "Review Done, or until the policy's limit, when reminders resume and the collector "
        "is told.",
    )
    dunning_review_date = fields.Date(string="Under Review Since", copy=False, readonly=True)
    dunning_claim_date = fields.Date(
        string="Says It Paid On",
        copy=False,
        readonly=True,
        help="The payment date the customer gave on its statement page.",
    )
    dunning_claim_amount = fields.Monetary(
        string="Says It Paid",
        currency_field="company_currency_id",
        copy=False,
        readonly=True,
        help="The amount the customer says it paid for this invoice and the others of the "
        "same claim, together.",
    )
    dunning_promise_ids = fields.Many2many(
        "dunning.promise",
        "dunning_promise_account_move_rel",
        "move_id",
        "promise_id",
        string="Payment Promises",
        copy=False,
    )
    dunning_days_overdue = fields.Integer(
        string="Days Overdue", compute="_compute_dunning_days_overdue"
    )

    @api.depends("invoice_date_due")
    @api.depends_context("date")
    def _compute_dunning_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            move.dunning_days_overdue = (
                max(engine_rules.days_overdue(move.invoice_date_due, today), 0)
                if move.is_invoice(include_receipts=False)
                else 0
            )

    # ------------------------------------------------------------------
    # Which invoices are dunned
    # ------------------------------------------------------------------
    @api.model
    def _dunning_open_domain(self, company=None, due_until=None, include_excluded=False):
        """Customer invoices that may be claimed: posted, not paid, not excluded.

        Credit notes, drafts, paid and in-payment invoices never are;
        partially paid ones are, for their residual.
        """
        domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("amount_residual", ">", 0),
        ]
        if not include_excluded:
            domain += [
                ("dunning_excluded", "=", False),
                ("commercial_partner_id.dunning_excluded", "=", False),
            ]
        if company:
            domain.append(("company_id", "=", company.id))
        if due_until:
            domain.append(("invoice_date_due", "<=", due_until))
        return domain

    @api.model
    def _dunning_overdue_partner_ids(self, company, partner_ids, today):
        """Ids of these customers with an invoice overdue on ``today`` in the
        company (excluded invoices included), in one query."""
        Move = self.sudo()
        groups = Move._read_group(
            Move._dunning_open_domain(company, include_excluded=True)
            + [
                ("commercial_partner_id", "in", list(partner_ids)),
                ("invoice_date_due", "<", today),
            ],
            ["commercial_partner_id"],
        )
        return {partner.id for (partner,) in groups}

    def _dunning_write(self, vals):
        """Write dunning bookkeeping on posted invoices, in one UPDATE.

        These columns are ours, no accounting figure depends on them, and
        ``account.move.write`` would re-synchronise the journal items of every
        invoice of the batch for nothing (most of the cost of a run). So the
        values go straight to the table; the cache is invalidated after.
        """
        if not self:
            return True
        allowed = {
            "dunning_stage_id",
            "dunning_last_date",
            "dunning_cycle",
            "dunning_excluded",
            "dunning_exclusion_reason",
            "dunning_paused_until",
            "dunning_review",
            "dunning_review_date",
            "dunning_claim_date",
            "dunning_claim_amount",
        }
        unknown = set(vals) - allowed
        if unknown:
            raise ValueError(f"not dunning bookkeeping: {sorted(unknown)}")
        self.flush_recordset(list(vals))
        self.env.cr.execute(
            sql_builders.update_moves(
                self.ids,
                {
                    name: None if value is False and name != "dunning_excluded" else value
                    for name, value in vals.items()
                },
                self.env.uid,
            )
        )
        self.invalidate_recordset([*vals, "write_date", "write_uid"])
        return True

    @api.model
    def _dunning_claim(self, stage_by_move, today):
        """Record that invoices reached a stage today: ``{invoice id: stage id}``.

        Stage, date and counter of every invoice of a batch in one UPDATE
        (see :meth:`_dunning_write` for why not ``write()``).
        """
        if not stage_by_move:
            return
        fnames = ["dunning_stage_id", "dunning_last_date", "dunning_count"]
        moves = self.browse(list(stage_by_move))
        moves.flush_recordset(fnames)
        self.env.cr.execute(sql_builders.claim_moves(stage_by_move, today, self.env.uid))
        moves.invalidate_recordset([*fnames, "write_date", "write_uid"])

    def _dunning_snapshot(self, today):
        """What a communication line keeps of the invoice on the day it is claimed."""
        self.ensure_one()
        return {
            "move_id": self.id,
            "currency_id": self.currency_id.id,
            "invoice_date": self.invoice_date,
            "date_due": self.invoice_date_due,
            "days_overdue": max(engine_rules.days_overdue(self.invoice_date_due, today), 0),
            "amount_total": self.amount_total,
            "amount_paid": self.amount_total - self.amount_residual,
            "amount_residual": self.amount_residual,
            "amount_residual_company": self.amount_residual_signed,
            "payment_reference": self.payment_reference or self.name,
        }

    def _dunning_payments(self, company_currency=False):
        """{invoice id: [(date, amount)]} of these invoices' settlements
        (payments and credit notes), in one query.

        :param company_currency: amounts in company currency (else the invoice's)
        """
        result = defaultdict(list)
        if not self:
            return result
        self.env.flush_all()
        self.env.cr.execute(sql_builders.invoice_payments(self.ids))
        for row in self.env.cr.dictfetchall():
            amount = row["amount"] if company_currency else row["amount_currency"]
            result[row["invoice_id"]].append((row["pay_date"], amount))
        return result

    def _dunning_add_count(self, delta):
        """Add ``delta`` to the reminder counters in one statement."""
        if not self:
            return
        self.flush_model(["dunning_count"])
        self.env.cr.execute(sql_builders.add_dunning_count(self.ids, delta))
        self.invalidate_recordset(["dunning_count"])

    def write(self, vals):
        if vals.get("dunning_reason"):
            vals = dict(vals, dunning_reason_date=fields.Date.context_today(self))
        # A collector who sets the reason has looked at what the customer said.
        if "dunning_reason" in vals and not self.env.context.get("dunning_statement"):
            reviewed = self.filtered("dunning_review")
            if reviewed:
                reviewed._dunning_write(REVIEW_CLEARED)
        res = super().write(vals)
        if vals.get("dunning_reason") and not self.env.context.get("dunning_statement"):
            self._dunning_reason_activities()
        return res

    def action_dunning_review_done(self):
        """The collector has checked what the customer said on its statement
        page: the invoices follow their stages again (or their reason)."""
        reviewed = self.filtered("dunning_review")
        reviewed._dunning_write(REVIEW_CLEARED)
        for move in reviewed:
            env = move.with_context(lang=move.company_id._dunning_lang()).env
            move.with_context(dunning_collection_message=True).message_post(
                body=env._("The customer's word was checked: review done."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _dunning_review_expired(self, on_date):
        """The policy's limit passed on these invoices' review without the
        collector resolving it: reminders resume, and the collector is told,
        once (the review is closed)."""
        if not self:
            return
        self._dunning_write(REVIEW_CLEARED)
        todo = self.env.ref("mail.mail_activity_data_todo")
        for move in self:
            partner = move.commercial_partner_id
            user = partner._dunning_collector(partner._dunning_policy(move.company_id))
            # Written for the collector who reads it, in its language.
            env = move.with_context(lang=user.lang or move.company_id._dunning_lang()).env
            move.sudo().activity_schedule(
                activity_type_id=todo.id,
                date_deadline=on_date,
                summary=env._("Unchecked claim: reminders resume"),
                note=env._(
                    "What the customer said on its statement page about %(invoice)s was not "
                    "checked within the policy's limit: from %(date)s the invoice gets its "
                    "reminders again.",
                    invoice=move.name,
                    date=format_date(env, on_date),
                ),
                user_id=user.id,
            )

    def _dunning_reason_activities(self):
        """A dispute, a missing document or financial difficulty asks for action."""
        summaries = {
            "dispute": self.env._("Resolve the dispute"),
            "missing_document": self.env._("Send the missing document or data"),
            "financial": self.env._("Propose a payment plan"),
        }
        for move in self:
            activity_type = REASON_ACTIVITIES.get(move.dunning_reason)
            if not activity_type:
                continue
            policy = move.commercial_partner_id._dunning_policy(move.company_id)
            user = move.commercial_partner_id._dunning_collector(policy)
            move.activity_schedule(
                activity_type,
                summary=summaries[move.dunning_reason],
                note=move.dunning_reason_note or "",
                user_id=user.id,
            )

    @api.model
    def _dunning_effective_reason(self, move):
        """The invoice's own reason, else its customer's."""
        return move.dunning_reason or move.commercial_partner_id.dunning_reason

    # ------------------------------------------------------------------
    # Actions (buttons and server actions)
    # ------------------------------------------------------------------
    def _dunning_check_invoices(self):
        not_invoices = self.filtered(lambda m: m.move_type != "out_invoice")
        if not_invoices:
            raise UserError(
                self.env._(
                    "Only customer invoices can be dunned; not: %(names)s",
                    names=", ".join(not_invoices.mapped("display_name")),
                )
            )

    def action_dunning_send_now(self):
        """Issue the next stage of the selected invoices today.

        Their open promises are judged on today's date first, as the daily
        job does: one whose instalment (plus grace) has lapsed is broken and
        escalates its invoices at once; the others are sent as asked.
        """
        self._dunning_check_invoices()
        Run = self.env["dunning.run"]
        broken, escalated = Run._judge_now(self, fields.Date.context_today(self))
        rest = self - broken.move_ids
        if not rest and escalated:
            return escalated._action_show_result()
        Run._check_sendable(rest)
        runs = escalated | Run._send_now(rest, "forced")
        return runs._action_show_result()

    def action_dunning_reset(self):
        """Start a new dunning cycle: the invoices go back to no stage."""
        self._dunning_check_invoices()
        by_cycle = defaultdict(lambda: self.browse())
        for move in self:
            by_cycle[move.dunning_cycle] |= move
        for cycle, moves in by_cycle.items():
            moves._dunning_write({"dunning_stage_id": False, "dunning_cycle": cycle + 1})
        return True

    def action_dunning_exclude(self):
        return self.env["dunning.exclude.wizard"]._action_open(self)

    def action_dunning_register_promise(self):
        return self.env["dunning.promise.wizard"]._action_open(self)

    def action_dunning_include(self):
        self.write({"dunning_excluded": False, "dunning_exclusion_reason": False})
        return True
