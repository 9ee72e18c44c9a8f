# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from . import dunning_effectiveness_rules, dunning_rules


class DunningEffectiveness(models.AbstractModel):
    """Exact management figures of a period, for the PDF and XLSX reports.

    Data is read in a few queries for the whole period; the arithmetic is in
    dunning_effectiveness_rules (effectiveness_table, age_bucket, dso, cei).
    """

    _name = "dunning.effectiveness"
    _description = "Dunning Effectiveness Figures"

    @api.model
    def _payments(self, invoice_ids):
        """{invoice: [(partial id, date, amount)]}: payments, credit notes left out."""
        return (
            self.env["account.move"]
            .browse(invoice_ids)
            ._dunning_payments(credit_notes=False, company_currency=True, with_ids=True)
        )

    @api.model
    def _all_settlements(self, invoice_ids):
        """{invoice: [(date, amount)]}: everything reconciled, credit notes included."""
        return self.env["account.move"].browse(invoice_ids)._dunning_payments(company_currency=True)

    @api.model
    def _compute(self, date_from, date_to, companies, window_days=None, dimension="channel"):
        """Figures of the period for these companies.

        :param dimension: "channel", "stage", "segment", "collector" or "policy":
            what the contacts are grouped by besides the month
        :return: dict with "rows" (one per month and group, sorted), "new_debts",
            "dashboard"
        """
        window_days = window_days or (companies[:1].dunning_effect_days or 30)
        comms = self.env["dunning.communication"].search(
            [
                ("company_id", "in", companies.ids),
                ("state", "=", "sent"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ]
        )
        # Hundreds of thousands of lines at a large company: read as plain
        # values (browsing them one by one costs minutes of prefetching).
        lines = self.env["dunning.communication.line"].search_read(
            [("communication_id", "in", comms.ids)],
            ["communication_id", "move_id", "amount_residual_company"],
            load=None,
        )
        payments = self._payments(list({line["move_id"] for line in lines}))
        labels = {}

        def key_of(comm):
            if dimension == "stage":
                record = comm.stage_id
            elif dimension == "segment":
                record = comm.partner_id.dunning_segment_id
            elif dimension == "collector":
                record = comm.user_id
            elif dimension == "policy":
                record = comm.policy_id
            else:
                channels = dict(comm._fields["channel"]._description_selection(self.env))
                labels[comm.channel] = channels.get(comm.channel, comm.channel)
                return comm.channel
            labels[record.id] = record.display_name or "-"
            return record.id

        claimed = defaultdict(dict)
        for line in lines:
            claimed[line["communication_id"]][line["move_id"]] = line["amount_residual_company"]
        contacts = [
            (comm.date, key_of(comm), comm.partner_id.id, claimed[comm.id]) for comm in comms
        ]
        new_debts = self._new_debts(date_from, date_to, companies)
        table, debt_summary = dunning_effectiveness_rules.effectiveness_table(
            contacts, payments, new_debts, window_days
        )
        rows = [
            dict(figures, month=month, key=key, label=labels.get(key, key))
            for (month, key), figures in table.items()
        ]
        rows.sort(key=lambda row: (row["month"], str(row["label"])))
        return {
            "rows": rows,
            "new_debts": sorted(debt_summary.items()),
            "dashboard": self._dashboard(date_from, date_to, companies),
            "window_days": window_days,
            "dimension": dimension,
        }

    @api.model
    def _new_debts(self, date_from, date_to, companies):
        """[(date overdue, partner, amount)] of invoices that fell overdue in the period.

        An invoice falls overdue the day after its due date, for what was
        still unpaid then (credit notes applied by then lower it too).
        """
        Move = self.env["account.move"]
        moves = Move.search_fetch(
            [
                ("company_id", "in", companies.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("invoice_date_due", ">=", date_from - timedelta(days=1)),
                ("invoice_date_due", "<", date_to),
            ],
            ["commercial_partner_id", "invoice_date_due", "amount_total_signed"],
        )
        settled = self._all_settlements(moves.ids)
        result = []
        for move in moves:
            paid_by_due = sum(a for d, a in settled.get(move.id, []) if d <= move.invoice_date_due)
            unpaid = move.amount_total_signed - paid_by_due
            if unpaid > 0.005:
                result.append(
                    (
                        move.invoice_date_due + timedelta(days=1),
                        move.commercial_partner_id.id,
                        unpaid,
                    )
                )
        return result

    @api.model
    def _receivables_at(self, moves, settled, day, current_only=False):
        total = 0.0
        for move in moves:
            if move.invoice_date and move.invoice_date > day:
                continue
            if current_only and move.invoice_date_due and move.invoice_date_due < day:
                continue
            paid = sum(a for d, a in settled.get(move.id, []) if d <= day)
            total += max(move.amount_total_signed - paid, 0.0)
        return total

    @api.model
    def _aged_balance(self, date_to, companies):
        """{age bucket: open amount} on ``date_to``."""
        Move = self.env["account.move"]
        open_moves = Move.search_fetch(
            Move._dunning_open_domain(include_excluded=True)
            + [("company_id", "in", companies.ids)],
            ["invoice_date_due", "amount_residual_signed"],
        )
        buckets = dict.fromkeys(
            [name for name, _low, _high in dunning_effectiveness_rules.AGE_BUCKETS], 0.0
        )
        for move in open_moves:
            days = dunning_rules.days_overdue(move.invoice_date_due, date_to)
            buckets[dunning_effectiveness_rules.age_bucket(days)] += move.amount_residual_signed
        return buckets

    @api.model
    def _dashboard(self, date_from, date_to, companies):
        """Aged balance, DSO, CEI, promises and hand-overs of the period."""
        Move = self.env["account.move"]
        buckets = self._aged_balance(date_to, companies)
        # Invoices that may have been open at some point of the period: still
        # open, or touched since it started (a payment rewrites the invoice's
        # payment state). Others were settled before and weigh nothing.
        period_moves = Move.search_fetch(
            [
                ("company_id", "in", companies.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("invoice_date", "<=", date_to),
                "|",
                ("payment_state", "in", ("not_paid", "partial")),
                ("write_date", ">=", fields.Datetime.to_datetime(date_from)),
            ],
            ["invoice_date", "invoice_date_due", "amount_total_signed"],
        )
        settled = self._all_settlements(period_moves.ids)
        sales = sum(
            m.amount_total_signed
            for m in period_moves
            if m.invoice_date and m.invoice_date >= date_from
        )
        opening = self._receivables_at(period_moves, settled, date_from - timedelta(days=1))
        closing = self._receivables_at(period_moves, settled, date_to)
        closing_current = self._receivables_at(period_moves, settled, date_to, current_only=True)
        days = (date_to - date_from).days + 1
        promises = self.env["dunning.promise"]._read_group(
            [
                ("company_id", "in", companies.ids),
                ("state", "in", ("kept", "broken")),
                ("closed_date", ">=", date_from),
                ("closed_date", "<=", date_to),
            ],
            ["state"],
            ["__count", "amount:sum"],
        )
        promise_figures = {state: (count, amount) for state, count, amount in promises}
        handover = self.env["dunning.communication"]._read_group(
            [
                ("company_id", "in", companies.ids),
                ("state", "=", "sent"),
                ("channel", "in", ("agency", "legal")),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            ["channel"],
            ["amount_residual:sum"],
        )
        return {
            "buckets": buckets,
            "receivables": closing,
            "dso": dunning_effectiveness_rules.dso(closing, sales, days),
            "cei": dunning_effectiveness_rules.cei(opening, sales, closing, closing_current),
            "sales": sales,
            "promises_kept": promise_figures.get("kept", (0, 0.0)),
            "promises_broken": promise_figures.get("broken", (0, 0.0)),
            "handover": dict(handover),
        }
