# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Planning a run's batch: which invoices reach which stage today, and the
communications that say so (created, not issued).

The run's lifecycle (dunning_run.py) drives the batches and their
transactions and issues what is planned here; the decisions are the pure
rules of ``rules/engine.py`` and ``rules/court.py``.
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..infrastructure import sql_builders
from ..infrastructure.batch_defaults import create_in_batch
from ..rules import court as court_rules
from ..rules import engine as engine_rules


class DunningRun(models.Model):
    _inherit = "dunning.run"  # pylint: disable=consider-merging-classes-inherited

    def _lookahead_days(self):
        """Days before the due date of the earliest pre-reminder of the company."""
        stages = self.env["dunning.stage"].search(
            [("company_id", "=", self.company_id.id), ("offset_days", "<", 0)],
            order="offset_days",
            limit=1,
        )
        return -stages.offset_days if stages else 0

    def _claim_bounds(self):
        """:func:`engine_rules.claim_bounds` over every policy of the company,
        and {fewest days overdue: ids of the stages invoices may sit at}."""
        company = self.company_id
        Policy = self.env["dunning.policy"].sudo().with_context(active_test=False)
        policies = (
            Policy.search([("company_id", "=", company.id)]) | company.sudo().dunning_policy_id
        )
        policies |= policies.chronic_policy_id
        # An invoice may sit at any stage, archived or of a policy that no
        # longer applies to its customer: the rules compare its sequence.
        # A few dozen stages: all of them.
        Stage = self.env["dunning.stage"].sudo().with_context(active_test=False)
        all_stages = Stage.search([])  # pylint: disable=no-search-all
        bounds = engine_rules.claim_bounds(
            [s for policy in policies for s in policy._stage_infos()],
            set(all_stages.mapped("sequence")),
            policies.mapped("min_days_between"),
            policies.mapped("grace_days"),
        )
        by_due_until = defaultdict(list)
        for stage in all_stages:
            if stage.sequence in bounds.offsets:
                by_due_until[bounds.offsets[stage.sequence]].append(stage.id)
        return bounds, by_due_until

    def _claim_bounds_domain(self):
        """Invoices that may reach a stage on the run's date, as a domain.

        The necessary conditions of :func:`engine_rules.claim_bounds`, over
        every policy of the company: enough days since the last reminder, and
        a later stage whose day has come. The daily run reads only these
        invoices (those reminded yesterday or waiting for their next stage
        make up most of a ledger); the rules decide on them as before.
        """
        bounds, by_due_until = self._claim_bounds()
        today = self.date
        reach = [
            [
                ("dunning_stage_id", "in", stage_ids),
                ("invoice_date_due", "<=", fields.Date.add(today, days=-offset)),
            ]
            for offset, stage_ids in by_due_until.items()
        ]
        # A customer suspected of unwillingness goes straight to the final
        # stage, whatever its offset, if a later stage remains.
        with_later = [("dunning_stage_id", "in", [i for ids in by_due_until.values() for i in ids])]
        if None in bounds.offsets:
            first_due = fields.Date.add(today, days=-bounds.offsets[None])
            reach.append([("dunning_stage_id", "=", False), ("invoice_date_due", "<=", first_due)])
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
            last_until = fields.Date.add(today, days=-bounds.min_gap)
            domain = expression.AND(
                [
                    domain,
                    [
                        "|",
                        ("dunning_last_date", "=", False),
                        ("dunning_last_date", "<=", last_until),
                    ],
                ]
            )
        return domain

    def _candidate_partner_ids(self, claim_domain=None, after=0, limit=None):
        """Customers with open invoices due by the lookahead date, by id.

        :param claim_domain: keep to the invoices it matches
            (:meth:`_claim_bounds_domain`)
        :param after: keep to the customers after this id
        :param limit: the first so many of them only: read in the order of
            the index on the invoices' customer, without aggregating every
            open invoice of the company
        """
        Move = self.env["account.move"].with_context(active_test=False)
        due_until = fields.Date.add(self.date, days=self._lookahead_days())
        domain = Move._dunning_open_domain(self.company_id, due_until)
        if claim_domain:
            domain = expression.AND([domain, claim_domain])
        if after:
            domain = expression.AND([domain, [("commercial_partner_id", ">", after)]])
        # The ORM's query (record rules included), grouped by the customer's
        # id: a _read_group would order by the customers' names.
        query = Move._search(domain)
        column = SQL.identifier(query.table, "commercial_partner_id")
        query.groupby = column
        query.order = column
        query.limit = limit
        # execute_query flushes what the query reads (a customer excluded or
        # marked unwilling a moment ago).
        return [partner_id for (partner_id,) in self.env.execute_query(query.select(column))]

    def _plan_batch(
        self, partner_ids, move_ids=None, force=False, broken_promise=False, claim_domain=None
    ):
        """Decide which invoices reach a new stage and create their
        communications (drafts: the run issues them).

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
        self.env.cr.execute(sql_builders.lock_moves_nowait(moves.ids))
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
        waiting_handovers = {}
        plan = defaultdict(list)
        expired_reviews = []
        for move in moves:
            partner = move.commercial_partner_id
            if partner.id not in policies:
                policies[partner.id] = partner._dunning_policy(self.company_id)
            policy = policies[partner.id]
            if not policy:
                continue
            under_review = bool(move.dunning_review) and self._review_rests(move, policy)
            if move.dunning_review and not under_review:
                expired_reviews.append(move.id)
            if under_review or self._move_rests(move, policy, net_balance, promised, force):
                continue
            administration = partner.dunning_regime == "administration"
            key = (policy.id, partner.id in handed_over, administration)
            if key not in stage_infos:
                stage_infos[key] = self._stages_for(policy, *key[1:])
            info = self._next_stage_of(move, policy, stage_infos[key], force, broken_promise)
            if policy.id not in waiting_handovers:
                waiting_handovers[policy.id] = self._masc_waiting_stage_ids(policy)
            if (
                info
                and not administration
                and info.id in waiting_handovers[policy.id]
                and not court_rules.masc_allows_handover(
                    masc_attempts.get(move.id, []), self.date
                ).allowed
            ):
                continue
            if info:
                plan[(partner.id, info.id)].append(move)
        # Told once: the review is closed with the telling.
        self.env["account.move"].browse(expired_reviews)._dunning_review_expired(self.date)
        without_policy = [pid for pid, policy in policies.items() if not policy]
        if without_policy:
            self._log("no_policy", count=len(without_policy))
        return self._create_communications(plan, policies)

    def _move_rests(self, move, policy, net_balance, promised, force):
        """Whether an invoice gets nothing today whatever its stage: its
        customer owes less than the policy's minimum, it is under an open
        promise, disputed, or paused (what the customer said on its statement
        page is judged apart: :meth:`_review_rests`)."""
        partner = move.commercial_partner_id
        # A collector who forces a reminder has looked at the amount already.
        if not force and not engine_rules.above_threshold(
            net_balance.get(partner.id, 0.0), policy.min_amount
        ):
            return True
        # An invoice's own reason overrides its customer's.
        if move.id in promised or (move.dunning_reason or partner.dunning_reason) == "dispute":
            return True
        return bool(move.dunning_paused_until and move.dunning_paused_until >= self.date)

    def _review_rests(self, move, policy):
        """Whether what the customer said on its statement page still rests
        the invoice today (the policy's limit per kind of claim)."""
        limit = (
            policy.portal_paid_pause_days
            if move.dunning_review == "paid"
            else policy.portal_review_days
        )
        return engine_rules.review_rests(move.dunning_review_date, limit, self.date)

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
            infos = engine_rules.stages_after_handover(infos, friendly)
        if administration:
            infos = engine_rules.stages_after_handover(infos, set(policy._negotiation_stages().ids))
        return infos

    @api.model
    def _masc_waiting_stage_ids(self, policy):
        """Ids of the policy's stages that wait for the negotiation attempt.

        Under a policy with a negotiation stage, the hand-over (for legal
        action, or to an agency that may go to court) waits for an attempt
        that covered the invoice, received, whose answer period ended without
        agreement (LO 1/2025 art. 5; the period, arts. 7 and 17).
        """
        if not policy._negotiation_stages():
            return set()
        stages = policy.with_context(active_test=False).stage_ids
        return set(stages.filtered("handover").ids)

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
                "dunning_paused_until",
                "dunning_review",
                "dunning_review_date",
            ],
            order="commercial_partner_id, invoice_date_due, id",
        )

    def _next_stage_of(self, move, policy, infos, force=False, broken_promise=False):
        """The StageInfo an invoice reaches in this run, or None.

        :param infos: the StageInfo its customer may reach (the policy's, or
            those left after a hand-over)
        """
        today = self.date
        overdue_days = engine_rules.days_overdue(move.invoice_date_due, today)
        current = move.dunning_stage_id.sequence if move.dunning_stage_id else None
        last = move.dunning_last_date
        since_last = (today - last).days if last else None
        designated = policy.promise_broken_stage_id
        if broken_promise and designated and (current is None or designated.sequence > current):
            return engine_rules.StageInfo(
                designated.id, designated.sequence, designated.offset_days
            )
        if force:
            return engine_rules.forced_next_stage(infos, current, overdue_days)
        if (move.dunning_reason or move.commercial_partner_id.dunning_reason) == "unwilling":
            return engine_rules.shortcut_to_final(
                infos,
                set(policy.stage_ids.filtered(lambda s: s.tone == "final").ids),
                current,
                overdue_days,
                since_last,
                policy.min_days_between,
            )
        return engine_rules.next_stage(
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
        vals_list, lines_per_comm = self._communication_values(plan, policies)
        Communication = self.env["dunning.communication"].with_context(
            tracking_disable=True, mail_create_nolog=True
        )
        comms = create_in_batch(Communication, vals_list)
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
        stage_by_move = {
            move.id: stage_id for (_partner, stage_id), moves in plan.items() for move in moves
        }
        self.env["account.move"]._dunning_claim(stage_by_move, self.date)
        return comms

    def _communication_values(self, plan, policies):
        """create() values of the planned communications, and the values of
        each one's invoice lines, in the same order."""
        today = self.date
        vals_list = []
        lines_per_comm = []
        invoice_contacts = (
            self.env["res.partner"]
            .browse({pid for pid, _stage in plan})
            ._dunning_invoice_contacts()
        )
        manager = self.company_id._dunning_manager() if plan else None
        for (partner_id, stage_id), moves in plan.items():
            stage = self.env["dunning.stage"].browse(stage_id)
            partner = moves[0].commercial_partner_id
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
            common = {
                "date": today,
                "company_id": self.company_id.id,
                "partner_id": partner.id,
                "recipient_id": invoice_contacts[partner_id],
                "stage_id": stage.id,
                "user_id": partner._dunning_collector(policies[partner_id], manager).id,
                "run_id": self.id,
                "invoice_count": len(line_vals),
                "amount_residual": sum(line["amount_residual_company"] for line in line_vals),
                # The precomputed fields, given: see dunning.communication.
                "policy_id": stage.policy_id.id,
                "tone": stage.tone,
                "letter_deadline": stage._letter_deadline(today),
            }
            for channel in stage._channels():
                vals_list.append(dict(common, channel=channel))
                lines_per_comm.append(line_vals)
        return vals_list, lines_per_comm
