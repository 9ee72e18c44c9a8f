# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, split_every
from odoo.tools.translate import LazyTranslate

from ..infrastructure import sql_builders
from ..rules import law as law_rules

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# What a run logs: the log keeps each message's key and values, and is read
# in the reader's language (the daily job runs as OdooBot, in English).
# Module-level messages are lazy: read in the reader's language later.
# pylint: disable=prefer-env-translation
LOG_MESSAGES = {
    "started": _lt("Run started: %(count)s customers to review."),
    "busy": _lt("Another run is working on this company: stopped, to be resumed."),
    "finished": _lt("Run finished in %(seconds)s s: %(comms)s communications."),
    "no_policy": _lt(
        "No dunning policy applies to %(count)s customers (set a default policy on the "
        "company or a policy on their segment)."
    ),
}
# pylint: enable=prefer-env-translation

# Key of the PostgreSQL advisory lock that lets one run at a time work on a
# company's customers (second key: the company id).
LOCK_KEY = 0x0D077  # "DUNN"

# Errors that mean another transaction claimed the same invoices first.
CONCURRENCY_ERRORS = (
    pg_errors.UniqueViolation,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
)


class _CompanyBusy(Exception):
    """Another run holds the company: what was started is rolled back."""


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
    job_batches = fields.Boolean(
        readonly=True,
        copy=False,
        help="Technical: the run's batches were handed to job workers (queue_job).",
    )
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
                    # A lazy text carries no values: they are the log's.
                    values = entry.get("args", {})
                    text = self.env._(message) % values  # pylint: disable=translation-not-lazy
                    lines.append(f"{entry['at']} {text}")
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
        companies = self.env["dunning.policy"]._read_group([], ["company_id"])
        for (company,) in companies:
            run = self.search(
                [("company_id", "=", company.id), ("date", "=", today), ("origin", "=", "cron")],
                limit=1,
            )
            if not run:
                # Its start prepares the day (:meth:`_start`).
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
        in_jobs = self.browse()
        if self._dunning_job_queue():
            # Several workers share the batches (OCA queue_job installed);
            # the job finishing a run calls this job again.
            runs.filtered(lambda r: not r.job_batches)._enqueue_batches()
            in_jobs = runs.filtered(lambda r: r.job_batches and r.state != "done")
            runs = runs.filtered(lambda r: not r.job_batches)
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
        if not remaining and not in_jobs:
            # The day's reminders are out: when the money should come in, and
            # whom the collectors call first.
            self.env["dunning.cash.forecast"]._cron_rebuild()
            self.env["dunning.worklist"]._cron_rebuild()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _daily_preparation(self, company, today):
        """The daily run's start, once its promises are judged: the friendly
        reminder of instalments due tomorrow, payment behaviour, credit holds,
        the late-payment rate, negotiation attempts past their term."""
        promises = self.env["dunning.promise"].search(
            [("company_id", "=", company.id), ("state", "=", "open")]
        )
        promises._send_instalment_reminders(today)
        self.env["res.partner"]._dunning_update_behaviour(company)
        self.env["res.partner"]._dunning_release_settled_holds()
        Rate = self.env["dunning.interest.rate"]
        # A semester that began without its rate: read the ECB now (once a
        # day), rather than wait for the weekly job; never block the run.
        checked = company.dunning_ecb_checked
        if not law_rules.rate_covers(Rate._rate_table(), today) and (
            not checked or checked.date() < today
        ):
            try:
                with self.env.cr.savepoint():
                    Rate.with_company(company)._update_from_ecb(today)
            except Exception:  # pylint: disable=broad-except
                _logger.exception("Reading the ECB's rates failed; the run goes on")
        Rate._notify_missing_semester(company, today)
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

    def _execute(self, max_batches=None, move_ids=None, force=False, broken_promise=False):
        """Drive the run's lifecycle in the current transaction: start it,
        process its customers batch by batch, finish it.

        The transaction is the caller's: the daily job commits after each of
        its calls (one batch each), a script commits between calls with
        ``max_batches=1``, a collector's "send now" and a test run to the end
        in their own.

        :param max_batches: stop after so many batches (the caller resumes)
        :param move_ids: keep to these invoices
        :param force: issue the next stage without waiting for its date
        :param broken_promise: escalation after a broken promise (force too)
        :return: True when the run is done
        :raise DunningConflict: see :meth:`_process_batch`
        """
        self.ensure_one()
        reason = "broken_promise" if broken_promise else ("forced" if force else None)
        moves = self.env["account.move"].browse(move_ids or ())
        # Read once per call: it costs a few queries (the company's stages).
        claim_domain = self._claim_domain(moves, reason)
        started = self._start(moves, reason, claim_domain=claim_domain)
        if started is False:
            self._log("busy")
            return False
        batch_size = max(self.company_id.dunning_batch_size or 200, 1)
        if started is not None:
            # The count that opened the run is the list of its customers.
            todo = started
        else:
            # A later call (the daily job makes one per batch) reads only the
            # customers of its batches, in id order after the last one done,
            # and one more to tell whether the run goes on after them.
            todo = self._candidate_partner_ids(
                claim_domain,
                after=self.last_partner_id,
                limit=max_batches * batch_size + 1 if max_batches else None,
            )
        if started is not None or not max_batches:
            self.partner_total = self.partner_done + len(todo)
        for count, batch in enumerate(split_every(batch_size, todo, list), start=1):
            if max_batches and count > max_batches:
                return False
            if not self._process_batch(batch, moves, reason, claim_domain=claim_domain):
                self._log("busy")
                return False
        self._finish()
        return True

    @api.model
    def _send_now(self, moves, reason="forced", on_date=None):
        """Issue the next stage of these invoices now: one run per company,
        started, processed and finished at once.

        :param reason: ``forced`` (a collector's *Send now*, calls left
            unanswered) or ``broken_promise`` (the policy's stage for broken
            promises, if it is further)
        :return: the runs
        """
        runs = self.browse()
        for company, company_moves in moves.grouped("company_id").items():
            run = self.with_company(company).create(
                {
                    "company_id": company.id,
                    "origin": "manual",
                    "preview": False,
                    "date": on_date or fields.Date.context_today(self),
                }
            )
            run._execute(
                move_ids=company_moves.ids, force=True, broken_promise=reason == "broken_promise"
            )
            runs |= run
        return runs

    @api.model
    def _judge_now(self, moves, on_date=None):
        """Judge the open promises of these invoices outside the daily run (a
        payment came in, a collector pressed *Send now*, a promise was
        recorded) and escalate at once the invoices of those broken, dated
        ``on_date`` (else today).

        :return: (the promises broken, the runs that escalated them)
        """
        on_date = on_date or fields.Date.context_today(self)
        promises = self.env["dunning.promise"].search(
            [("state", "=", "open"), ("move_ids", "in", moves.ids)]
        )
        broken = promises._evaluate(on_date)
        return broken, self._send_now(broken._escalation_moves(), "broken_promise", on_date)

    @api.model
    def _check_sendable(self, moves):
        """Refuse, saying why, when none of these invoices can be reminded now."""
        promised = self.env["dunning.promise"].search(
            [("state", "=", "open"), ("move_ids", "in", moves.ids)]
        )
        reasons = []
        for move in moves:
            promise = promised.filtered(lambda p, m=move: m in p.move_ids)[:1]
            if move.payment_state not in ("not_paid", "partial") or move.state != "posted":
                reasons.append(self.env._("%(invoice)s is not open.", invoice=move.name))
            elif move.dunning_excluded or move.commercial_partner_id.dunning_excluded:
                reasons.append(
                    self.env._("%(invoice)s is excluded from dunning.", invoice=move.name)
                )
            elif promise:
                reasons.append(
                    self.env._(
                        "%(invoice)s is under the open payment promise %(promise)s (next "
                        "instalment %(date)s): it is not reminded while the promise holds.",
                        invoice=move.name,
                        promise=promise.name,
                        date=promise.next_date or promise.date_due,
                    )
                )
            elif move.dunning_review:
                reasons.append(
                    self.env._(
                        "%(invoice)s: what the customer said on its statement page on %(date)s "
                        "is under review; press Review Done first.",
                        invoice=move.name,
                        date=format_date(self.env, move.dunning_review_date),
                    )
                )
            elif (move.dunning_reason or move.commercial_partner_id.dunning_reason) == "dispute":
                reasons.append(
                    self.env._(
                        "%(invoice)s is disputed: resolve the dispute first.", invoice=move.name
                    )
                )
            else:
                return
        raise UserError(self.env._("Nothing was sent:\n%(reasons)s", reasons="\n".join(reasons)))

    def _claim_domain(self, moves=None, reason=None):
        """The invoices this run may claim, as a domain (None: all open ones).

        The daily run reads only the invoices that may reach a stage on its
        date; a run asked for given invoices, or forced, reads all it was
        asked for.
        """
        if moves:
            return [("id", "in", moves.ids)]
        return None if reason else self._claim_bounds_domain()

    def _start(self, moves=None, reason=None, claim_domain=False):
        """Open the run, once.

        A run over the whole ledger first judges the company's open promises
        on its date: the invoices of a broken one escalate in this run's first
        batch. The daily run then prepares the day. Last, the customers to
        review are counted.

        :return: the ids of the customers to review; None when the run was
            already open; False when another run holds the company (nothing
            of the start was kept)
        """
        self.ensure_one()
        if self.state != "draft":
            return None
        if not moves and not reason:
            try:
                with self.env.cr.savepoint():
                    escalate = self._judge_promises()
                    if escalate and not self._process_batch(
                        sorted(set(escalate.commercial_partner_id.ids)),
                        escalate,
                        "broken_promise",
                        progress=False,
                    ):
                        raise _CompanyBusy()
            except _CompanyBusy:
                return False
            if self.origin == "cron":
                self._daily_preparation(self.company_id, self.date)
        if claim_domain is False:
            claim_domain = self._claim_domain(moves, reason)
        partner_ids = self._candidate_partner_ids(claim_domain)
        self.write({"state": "running", "partner_total": len(partner_ids)})
        self._log("started", count=len(partner_ids))
        return partner_ids

    def _judge_promises(self):
        """Judge the company's open promises on the run's date; tell the
        collectors of those broken and return their open invoices."""
        promises = self.env["dunning.promise"].search(
            [("company_id", "=", self.company_id.id), ("state", "=", "open")]
        )
        return promises._evaluate(self.date)._escalation_moves()

    def _process_batch(
        self, partner_ids, moves=None, reason=None, as_job=False, progress=True, claim_domain=False
    ):
        """Process one batch of customers atomically (a savepoint): plan their
        reminders, then issue them (a run under review leaves them as drafts,
        except a broken promise's escalation, which goes out at once).

        :param moves: keep to these invoices
        :param reason: see :meth:`_send_now`; None: each invoice's next stage
            when its day has come
        :param as_job: a batch run as a job beside the run's other batches
            (``dunning_run_queue``): it shares the company's lock with them
            and leaves the run's progress to :meth:`_finish`
        :param progress: count the batch in the run's progress (not the
            escalation of broken promises, which precedes the customers)
        :param claim_domain: :meth:`_claim_domain`, when the caller has it
        :return: False if another run holds the company (advisory lock)
        :raise DunningConflict: another transaction issued some of these
            reminders first (the unique index, or an invoice locked or changed
            since this transaction began)
        """
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    sql_builders.try_company_lock(LOCK_KEY, self.company_id.id, shared=as_job)
                )
                if not self.env.cr.fetchone()[0]:
                    return False
                comms = self._plan_batch(
                    partner_ids,
                    move_ids=moves.ids if moves else None,
                    force=bool(reason),
                    broken_promise=reason == "broken_promise",
                    claim_domain=(
                        self._claim_domain(moves, reason) if claim_domain is False else claim_domain
                    ),
                )
                if comms and (not self.preview or reason == "broken_promise"):
                    comms._issue()
                if progress and not as_job:
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
                self.env._(
                    "Another run is issuing reminders for these customers: try again in a moment."
                )
            ) from error
        return True

    def _finish(self):
        """Close the run. Customers paid or excluded while it ran were not
        reviewed: a run alone counts those it reviewed; batches run as jobs
        leave their count to here."""
        self.ensure_one()
        vals = {"state": "done", "queued": False}
        if self.job_batches:
            vals["partner_done"] = self.partner_total
        else:
            vals["partner_total"] = self.partner_done
        self.write(vals)
        self._log(
            "finished",
            # From the run's creation: its batches may span several calls.
            seconds=max(round((fields.Datetime.now() - self.create_date).total_seconds(), 1), 0),
            comms=self.communication_count,
        )
        self.env.flush_all()
