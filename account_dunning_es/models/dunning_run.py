# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import format_date, split_every
from odoo.tools.translate import LazyTranslate

from . import dunning_court_rules, dunning_rules, dunning_sql

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# What a run logs: the log keeps each message's key and values, and is read
# in the reader's language (the daily job runs as OdooBot, in English).
LOG_MESSAGES = {
    "started": _lt("Run started: %(count)s customers to review."),
    "busy": _lt("Another run is working on this company: stopped, to be resumed."),
    "finished": _lt("Run finished in %(seconds)s s: %(comms)s communications."),
    "no_policy": _lt(
        "No dunning policy applies to %(count)s customers (set a default policy on the "
        "company or a policy on their segment)."
    ),
}

# Key of the PostgreSQL advisory lock that lets one run at a time work on a
# company's customers (second key: the company id).
LOCK_KEY = 0x0D077  # "DUNN"

# Errors that mean another transaction claimed the same invoices first.
CONCURRENCY_ERRORS = (
    pg_errors.UniqueViolation,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
)


class DunningConflict(UserError):
    """Another transaction issued some of a batch's reminders first.

    Nothing of the batch was kept (savepoint); in a transaction that began
    before the other one committed, the batch cannot be decided again: the
    caller starts again in a new transaction (the daily job does on its
    next call), which sees what the other one issued.
    """


class DunningRun(models.Model):
    _name = "dunning.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    origin = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual")], default="manual", required=True
    )
    preview = fields.Boolean(
        string="Review Before Sending",
        default=True,
        help="Prepare draft communications to review, then send them from the run.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("running", "In Progress"), ("done", "Done")],
        default="draft",
        required=True,
        index=True,
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    queued = fields.Boolean(
        readonly=True,
        copy=False,
        help="Handed to the daily job, which processes it batch by batch in the background.",
    )
    last_partner_id = fields.Integer(
        readonly=True,
        help="Technical: the run has processed every customer up to this id. An "
        "interrupted run resumes after it.",
    )
    partner_total = fields.Integer(string="Customers to Review", readonly=True)
    partner_done = fields.Integer(string="Customers Reviewed", readonly=True)
    communication_ids = fields.One2many("dunning.communication", "run_id")
    communication_count = fields.Integer(compute="_compute_counts")
    sent_count = fields.Integer(compute="_compute_counts")
    draft_count = fields.Integer(compute="_compute_counts")
    failed_count = fields.Integer(compute="_compute_counts")
    log_entries = fields.Json(readonly=True, copy=False)
    log = fields.Text(compute="_compute_log")

    @api.depends("date", "company_id")
    def _compute_name(self):
        # Stored for searching; people read the display name, in their language.
        for run in self:
            run.name = f"Dunning {run.date}" if run.date else "Dunning"

    @api.depends("date")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for run in self:
            run.display_name = (
                self.env._("Dunning %(date)s", date=format_date(self.env, run.date))
                if run.date
                else self.env._("Dunning")
            )

    @api.depends("log_entries")
    @api.depends_context("lang")
    def _compute_log(self):
        for run in self:
            lines = []
            for entry in run.log_entries or []:
                message = LOG_MESSAGES.get(entry.get("key"))
                if message:
                    lines.append(f"{entry['at']} {self.env._(message) % entry.get('args', {})}")
                else:  # a run logged before 18.0.1.2.0, as it was written
                    lines.append(entry.get("text", "").rstrip("\n"))
            run.log = "\n".join(lines)

    def _compute_counts(self):
        groups = self.env["dunning.communication"]._read_group(
            [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
        )
        counts = defaultdict(int)
        for run, state, count in groups:
            counts[(run.id, state)] = count
        for run in self:
            run.sent_count = counts[(run.id, "sent")]
            run.draft_count = counts[(run.id, "draft")]
            run.failed_count = counts[(run.id, "failed")]
            run.communication_count = sum(
                counts[(run.id, s)] for s in ("sent", "draft", "failed", "cancelled")
            )

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _cron_dunning_run(self, max_batches=1):
        """Daily job: one run per company and day, and the manual runs handed
        to it; one batch per call.

        Odoo's scheduler commits after each call and calls again while the
        progress reports customers remaining (Odoo 18's cron progress API), so
        each batch is its own transaction and a run that was interrupted is
        resumed instead of started again. Manual runs go first: someone waits.
        """
        today = fields.Date.context_today(self)
        runs = self.search([("queued", "=", True), ("state", "!=", "done")], order="id")
        for company in self.env["dunning.policy"].search([]).company_id:
            run = self.search(
                [("company_id", "=", company.id), ("date", "=", today), ("origin", "=", "cron")],
                limit=1,
            )
            if not run:
                self.with_company(company)._daily_preparation(company, today)
                run = self.with_company(company).create(
                    {
                        "company_id": company.id,
                        "date": today,
                        "origin": "cron",
                        "preview": company.dunning_review_before_send,
                    }
                )
            runs |= run
        runs = runs.filtered(lambda r: r.state != "done")
        done = 0
        if runs:
            run = runs[0]
            before = run.partner_done
            finished = run.with_company(run.company_id)._execute(max_batches=max_batches)
            # A finished run counts as progress even without customers.
            done = max(run.partner_done - before, 1 if finished else 0)
            if not done:
                # Another run holds the company: reporting no progress lets
                # the scheduler wait instead of calling again at once; come
                # back in a moment.
                self.env.ref("account_dunning_es.ir_cron_dunning_run")._trigger(
                    at=fields.Datetime.now() + timedelta(minutes=2)
                )
        remaining = sum(
            max(run.partner_total - run.partner_done, 1) for run in runs if run.state != "done"
        )
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _daily_preparation(self, company, today):
        """Before the first run of the day: promises and payment behaviour.

        Promises are evaluated first, so that a broken one escalates today,
        and instalments due tomorrow get their friendly reminder.
        """
        promises = self.env["dunning.promise"].search(
            [("company_id", "=", company.id), ("state", "=", "open")]
        )
        promises._evaluate(today)
        promises._send_instalment_reminders(today)
        self.env["res.partner"]._dunning_update_behaviour(company)
        self.env["dunning.interest.rate"]._notify_missing_semester(company, today)
        self.env["dunning.negotiation"]._close_expired(company, today)

    def action_run(self):
        """Hand the runs to the daily job, which processes them batch by batch
        in the background; the form shows the customers reviewed so far."""
        runs = self.filtered(lambda r: r.state != "done")
        runs.write({"queued": True})
        if runs:
            self.env.ref("account_dunning_es.ir_cron_dunning_run")._trigger()
        return True

    def action_send_drafts(self):
        self.communication_ids.filtered(lambda c: c.state == "draft")._issue()
        return True

    def action_view_communications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.dunning_communication_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"search_default_group_by_state": 1}
        return action

    def _action_show_result(self):
        if len(self) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "dunning.run",
                "res_id": self.id,
                "view_mode": "form",
                "target": "current",
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "dunning.run",
            "domain": [("id", "in", self.ids)],
            "view_mode": "list,form",
        }

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _log(self, key, **args):
        """Add a line to the run's log: a key of LOG_MESSAGES and its values."""
        self.ensure_one()
        assert key in LOG_MESSAGES, key
        entry = {"at": fields.Datetime.now().strftime("%H:%M:%S"), "key": key, "args": args}
        self.log_entries = [*(self.log_entries or []), entry]

    def _lookahead_days(self):
        """Days before the due date of the earliest pre-reminder of the company."""
        stages = self.env["dunning.stage"].search(
            [("company_id", "=", self.company_id.id), ("offset_days", "<", 0)],
            order="offset_days",
            limit=1,
        )
        return -stages.offset_days if stages else 0

    def _claim_bounds_domain(self):
        """Invoices that may reach a stage on the run's date, as a domain.

        The necessary conditions of :func:`dunning_rules.claim_bounds`, over
        every policy of the company: enough days since the last reminder, and
        a later stage whose day has come. The daily run reads only these
        invoices (those reminded yesterday or waiting for their next stage
        make up most of a ledger); the rules decide on them as before.
        """
        company = self.company_id
        Policy = self.env["dunning.policy"].sudo().with_context(active_test=False)
        policies = (
            Policy.search([("company_id", "=", company.id)]) | company.sudo().dunning_policy_id
        )
        policies |= policies.chronic_policy_id
        # An invoice may sit at any stage, archived or of a policy that no
        # longer applies to its customer: the rules compare its sequence.
        all_stages = self.env["dunning.stage"].sudo().with_context(active_test=False).search([])
        bounds = dunning_rules.claim_bounds(
            [s for policy in policies for s in policy._stage_infos()],
            set(all_stages.mapped("sequence")),
            policies.mapped("min_days_between"),
            policies.mapped("grace_days"),
        )
        today = self.date
        by_due_until = defaultdict(list)
        for stage in all_stages:
            if stage.sequence in bounds.offsets:
                by_due_until[bounds.offsets[stage.sequence]].append(stage.id)
        reach = []
        if None in bounds.offsets:
            reach.append(
                [
                    ("dunning_stage_id", "=", False),
                    ("invoice_date_due", "<=", fields.Date.add(today, days=-bounds.offsets[None])),
                ]
            )
        for offset, stage_ids in by_due_until.items():
            reach.append(
                [
                    ("dunning_stage_id", "in", stage_ids),
                    ("invoice_date_due", "<=", fields.Date.add(today, days=-offset)),
                ]
            )
        # A customer suspected of unwillingness goes straight to the final
        # stage, whatever its offset, if a later stage remains.
        with_later = [("dunning_stage_id", "in", [i for ids in by_due_until.values() for i in ids])]
        if None in bounds.offsets:
            with_later = expression.OR([with_later, [("dunning_stage_id", "=", False)]])
        unwilling = expression.AND(
            [
                with_later,
                [
                    "|",
                    ("dunning_reason", "=", "unwilling"),
                    ("commercial_partner_id.dunning_reason", "=", "unwilling"),
                ],
            ]
        )
        domain = expression.OR([*reach, unwilling])
        if bounds.min_gap > 0:
            domain = expression.AND(
                [
                    domain,
                    [
                        "|",
                        ("dunning_last_date", "=", False),
                        (
                            "dunning_last_date",
                            "<=",
                            fields.Date.add(today, days=-bounds.min_gap),
                        ),
                    ],
                ]
            )
        return domain

    def _candidate_partner_ids(self, claim_domain=None):
        """Customers with open invoices due by the lookahead date, by id.

        :param claim_domain: keep to the invoices it matches
            (:meth:`_claim_bounds_domain`)
        """
        Move = self.env["account.move"].with_context(active_test=False)
        due_until = fields.Date.add(self.date, days=self._lookahead_days())
        domain = Move._dunning_open_domain(self.company_id, due_until)
        if claim_domain:
            domain = expression.AND([domain, claim_domain])
        groups = Move._read_group(domain, ["commercial_partner_id"])
        return sorted(partner.id for (partner,) in groups)

    def _execute(self, max_batches=None, move_ids=None, force=False, broken_promise=False):
        """Process the run's customers in batches, in the current transaction.

        The transaction is the caller's: the daily job commits after each of
        its calls (one batch each), a script commits between calls with
        ``max_batches=1``, a collector's "send now" and a test run to the end
        in their own.

        :param max_batches: stop after so many batches (the caller resumes)
        :param move_ids: restrict to these invoices (manual "send now")
        :param force: issue the next stage without waiting for its date
        :param broken_promise: escalation after a broken promise (force too)
        :return: True when the run is done
        :raise DunningConflict: see :meth:`_process_batch`
        """
        self.ensure_one()
        company = self.company_id
        if self.state == "draft" and not broken_promise:
            # Every run, manual or scheduled, judges the open promises on its
            # own date first: a missed instalment escalates in this run.
            self.env["dunning.promise"].search(
                [("company_id", "=", company.id), ("state", "=", "open")]
            )._evaluate(self.date)
        # The daily run reads only the invoices that may reach a stage today;
        # a collector's forced reminder reads all it was asked for.
        claim_domain = (
            None if (move_ids or force or broken_promise) else self._claim_bounds_domain()
        )
        partner_ids = self._candidate_partner_ids(claim_domain)
        if move_ids:
            moves = self.env["account.move"].browse(move_ids)
            partner_ids = sorted(set(moves.commercial_partner_id.ids) & set(partner_ids))
        if self.state == "draft":
            self.write({"state": "running", "partner_total": len(partner_ids)})
            self._log("started", count=len(partner_ids))
        todo = [pid for pid in partner_ids if pid > self.last_partner_id]
        self.partner_total = self.partner_done + len(todo)
        batch_size = max(company.dunning_batch_size or 200, 1)
        for count, batch in enumerate(split_every(batch_size, todo), start=1):
            if max_batches and count > max_batches:
                return False
            if not self._process_batch(
                list(batch),
                move_ids=move_ids,
                force=force,
                broken_promise=broken_promise,
                claim_domain=claim_domain,
            ):
                self._log("busy")
                return False
        self.write({"state": "done", "queued": False})
        self._log(
            "finished",
            # From the run's creation: its batches may span several calls.
            seconds=max(round((fields.Datetime.now() - self.create_date).total_seconds(), 1), 0),
            comms=self.communication_count,
        )
        self.env.flush_all()
        return True

    def _process_batch(
        self, partner_ids, move_ids=None, force=False, broken_promise=False, claim_domain=None
    ):
        """Process one batch of customers atomically (a savepoint).

        :return: False if another run holds the company (advisory lock)
        :raise DunningConflict: another transaction issued some of these
            reminders first (the unique index, or an invoice locked or changed
            since this transaction began)
        """
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(dunning_sql.try_company_lock(LOCK_KEY, self.company_id.id))
                if not self.env.cr.fetchone()[0]:
                    return False
                self._plan_and_issue(
                    partner_ids,
                    move_ids=move_ids,
                    force=force,
                    broken_promise=broken_promise,
                    claim_domain=claim_domain,
                )
                self.write(
                    {
                        "last_partner_id": partner_ids[-1],
                        "partner_done": self.partner_done + len(partner_ids),
                    }
                )
                self.env.flush_all()
        except CONCURRENCY_ERRORS as error:
            _logger.info("Dunning batch conflict: %s", error)
            self.env.invalidate_all()
            raise DunningConflict(
                _("Another run is issuing reminders for these customers: try again in a moment.")
            ) from error
        return True

    def _plan_and_issue(
        self, partner_ids, move_ids=None, force=False, broken_promise=False, claim_domain=None
    ):
        """Decide which invoices reach a new stage, then issue the communications.

        Data is read in a few queries for the whole batch; the decision per
        invoice is :meth:`_next_stage_of`. ``claim_domain`` leaves out
        invoices that cannot reach a stage today (see
        :meth:`_claim_bounds_domain`).
        """
        moves = self._batch_moves(partner_ids, move_ids, claim_domain)
        if not moves:
            return self.env["dunning.communication"]
        # Lock the invoices: a payment being reconciled on them waits for us,
        # and one committed since our snapshot makes us start again.
        self.env.cr.execute(dunning_sql.lock_moves_nowait(moves.ids))
        net_balance = self._net_balances(moves.commercial_partner_id)
        # Invoices under an open promise are paused (a broken promise has been
        # closed before its escalation, so it pauses nothing).
        promised = set(
            self.env["dunning.promise"]
            .search([("state", "=", "open"), ("move_ids", "in", moves.ids)])
            .move_ids.ids
        )
        handed_over = self._handed_over_partner_ids(moves.commercial_partner_id)
        masc_attempts = self._masc_attempts(moves)
        policies = {}
        stage_infos = {}
        plan = defaultdict(list)
        for move in moves:
            partner = move.commercial_partner_id
            if partner.id not in policies:
                policies[partner.id] = partner._dunning_policy(self.company_id)
            policy = policies[partner.id]
            if not policy:
                continue
            # A collector who forces a reminder has looked at the amount already.
            if not force and not dunning_rules.above_threshold(
                net_balance.get(partner.id, 0.0), policy.min_amount
            ):
                continue
            # An invoice's own reason overrides its customer's.
            if move.id in promised or (move.dunning_reason or partner.dunning_reason) == "dispute":
                continue
            administration = partner.dunning_regime == "administration"
            key = (policy.id, partner.id in handed_over, administration)
            if key not in stage_infos:
                stage_infos[key] = self._stages_for(policy, *key[1:])
            info = self._next_stage_of(move, policy, stage_infos[key], force, broken_promise)
            if (
                info
                and not administration
                and not self._masc_done(policy, info, masc_attempts.get(move.id, []))
            ):
                continue
            if info:
                plan[(partner.id, info.id)].append(move)
        without_policy = [pid for pid, policy in policies.items() if not policy]
        if without_policy:
            self._log("no_policy", count=len(without_policy))
        return self._create_communications(plan, policies)

    @api.model
    def _stages_for(self, policy, handed_over, administration):
        """The StageInfo a customer may reach under a policy.

        A customer already handed over gets no friendly stage any more; a
        public administration never gets a negotiation stage (LO 1/2025 leaves
        disputes with public-sector entities out).
        """
        infos = policy._stage_infos()
        if handed_over:
            friendly = set(policy.stage_ids.filtered(lambda s: s.tone == "friendly").ids)
            infos = dunning_rules.stages_after_handover(infos, friendly)
        if administration:
            infos = dunning_rules.stages_after_handover(
                infos, set(policy._negotiation_stages().ids)
            )
        return infos

    def _masc_done(self, policy, info, attempts):
        """Whether an invoice may reach a stage as far as LO 1/2025 goes.

        Under a policy with a negotiation stage, the hand-over (for legal
        action, or to an agency that may go to court) waits for an attempt
        that covered the invoice, received, whose answer period ended without
        agreement (art. 5; the period, arts. 7 and 17).
        """
        stage = self.env["dunning.stage"].browse(info.id)
        if not stage.handover or not policy._negotiation_stages():
            return True
        return dunning_court_rules.masc_allows_handover(attempts, self.date).allowed

    def _masc_attempts(self, moves):
        """{invoice id: [(method, delivery outcome, receipt date, window end,
        outcome)]} of the negotiation attempts that covered each invoice."""
        lines = self.env["dunning.communication.line"].search_fetch(
            [
                ("move_id", "in", moves.ids),
                ("channel", "=", "negotiation"),
                ("cancelled", "=", False),
            ],
            ["move_id", "communication_id"],
        )
        negotiations = self.env["dunning.negotiation"].search(
            [("communication_id", "in", lines.communication_id.ids)]
        )
        by_comm = {n.communication_id.id: n for n in negotiations}
        attempts = defaultdict(list)
        for line in lines:
            attempt = by_comm.get(line.communication_id.id)
            if attempt:
                attempts[line.move_id.id].append(
                    (
                        attempt.sending_method,
                        attempt.delivery_outcome,
                        attempt.receipt_date,
                        attempt.window_end,
                        attempt.outcome,
                    )
                )
        return attempts

    def _batch_moves(self, partner_ids, move_ids=None, claim_domain=None):
        """The open invoices of a batch of customers that may reach a stage today."""
        Move = self.env["account.move"].with_context(active_test=False)
        # Invoices due after the lookahead reach no stage today, unless a
        # collector picked them (a pre-reminder may be forced at any time).
        due_until = None if move_ids else fields.Date.add(self.date, days=self._lookahead_days())
        domain = Move._dunning_open_domain(self.company_id, due_until) + [
            ("commercial_partner_id", "in", partner_ids)
        ]
        if move_ids:
            domain.append(("id", "in", list(move_ids)))
        if claim_domain:
            domain = expression.AND([domain, claim_domain])
        return Move.search_fetch(
            domain,
            [
                "name",
                "commercial_partner_id",
                "partner_id",
                "invoice_date",
                "invoice_date_due",
                "amount_total",
                "amount_residual",
                "amount_residual_signed",
                "currency_id",
                "payment_reference",
                "dunning_stage_id",
                "dunning_last_date",
                "dunning_cycle",
                "dunning_reason",
            ],
            order="commercial_partner_id, invoice_date_due, id",
        )

    def _next_stage_of(self, move, policy, infos, force=False, broken_promise=False):
        """The StageInfo an invoice reaches in this run, or None.

        :param infos: the StageInfo its customer may reach (the policy's, or
            those left after a hand-over)
        """
        today = self.date
        overdue_days = dunning_rules.days_overdue(move.invoice_date_due, today)
        current = move.dunning_stage_id.sequence if move.dunning_stage_id else None
        last = move.dunning_last_date
        since_last = (today - last).days if last else None
        designated = policy.promise_broken_stage_id
        if broken_promise and designated and (current is None or designated.sequence > current):
            return dunning_rules.StageInfo(
                designated.id, designated.sequence, designated.offset_days
            )
        if force:
            return dunning_rules.forced_next_stage(infos, current, overdue_days)
        if (move.dunning_reason or move.commercial_partner_id.dunning_reason) == "unwilling":
            return dunning_rules.shortcut_to_final(
                infos,
                set(policy.stage_ids.filtered(lambda s: s.tone == "final").ids),
                current,
                overdue_days,
                since_last,
                policy.min_days_between,
            )
        return dunning_rules.next_stage(
            infos, current, overdue_days, since_last, policy.min_days_between, policy.grace_days
        )

    def _handed_over_partner_ids(self, partners):
        """Customers with an open invoice handed over to an agency or for legal action."""
        Move = self.env["account.move"].with_context(active_test=False)
        groups = Move._read_group(
            Move._dunning_open_domain(self.company_id, include_excluded=True)
            + [
                ("commercial_partner_id", "in", partners.ids),
                ("dunning_stage_id.handover", "!=", False),
            ],
            ["commercial_partner_id"],
        )
        return {partner.id for (partner,) in groups}

    def _net_balances(self, partners):
        """Open invoices minus unapplied credit notes, per partner, company currency."""
        Move = self.env["account.move"].with_context(active_test=False)
        groups = Move._read_group(
            [
                ("company_id", "=", self.company_id.id),
                ("commercial_partner_id", "in", partners.ids),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            ["commercial_partner_id"],
            ["amount_residual_signed:sum"],
        )
        return {partner.id: amount for partner, amount in groups}

    def _create_communications(self, plan, policies):
        """One communication per customer, stage and channel.

        The communications of the batch are created in one ``create()``; their
        invoice lines, several per communication, in bulk
        (:meth:`~.dunning_communication_line._bulk_create`), and the invoices'
        stages in one UPDATE.
        """
        Stage = self.env["dunning.stage"]
        today = self.date
        vals_list = []
        lines_per_comm = []
        stage_by_move = {}
        invoice_contacts = (
            self.env["res.partner"]
            .browse({pid for pid, _stage in plan})
            ._dunning_invoice_contacts()
        )
        manager = self.company_id._dunning_manager() if plan else None
        for (partner_id, stage_id), moves in plan.items():
            stage = Stage.browse(stage_id)
            partner = moves[0].commercial_partner_id
            policy = policies[partner_id]
            recipient_id = invoice_contacts[partner_id]
            line_vals = [
                dict(
                    move._dunning_snapshot(today),
                    stage_id=stage.id,
                    previous_stage_id=move.dunning_stage_id.id,
                    previous_date=move.dunning_last_date,
                    cycle=move.dunning_cycle,
                )
                for move in moves
            ]
            amount = sum(line["amount_residual_company"] for line in line_vals)
            for channel in stage._channels():
                vals_list.append(
                    {
                        "date": today,
                        "company_id": self.company_id.id,
                        "partner_id": partner.id,
                        "recipient_id": recipient_id,
                        "stage_id": stage.id,
                        "channel": channel,
                        "user_id": partner._dunning_collector(policy, manager).id,
                        "run_id": self.id,
                        "invoice_count": len(line_vals),
                        "amount_residual": amount,
                    }
                )
                lines_per_comm.append(line_vals)
            stage_by_move.update((move.id, stage.id) for move in moves)
        comms = (
            self.env["dunning.communication"]
            .with_context(tracking_disable=True, mail_create_nolog=True)
            .create(vals_list)
        )
        comms.flush_recordset()
        self.env["dunning.communication.line"]._bulk_create(
            [
                dict(
                    line,
                    communication_id=comm.id,
                    company_id=comm.company_id.id,
                    partner_id=comm.partner_id.id,
                    channel=comm.channel,
                    date=comm.date,
                )
                for comm, lines in zip(comms, lines_per_comm, strict=True)
                for line in lines
            ]
        )
        comms.invalidate_recordset(["line_ids", "move_ids"])
        self.env["account.move"]._dunning_claim(stage_by_move, today)
        if not self.preview:
            comms._issue()
        return comms
