# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from datetime import timedelta

from odoo import api, models

from ..infrastructure import sql_builders
from ..rules import effectiveness as effectiveness_rules
from ..rules import engine as engine_rules


class DunningEffectiveness(models.AbstractModel):
    """Exact management figures of a period, for the PDF and XLSX reports.

    Data is read in a few queries for the whole period, as plain values, and
    the sums over the ledger are left to PostgreSQL (sql_builders.receivables
    and new_debts); the arithmetic is in effectiveness_rules
    (effectiveness_table, age_bucket, dso, cei).
    """

    _name = "dunning.effectiveness"
    _description = "Dunning Effectiveness Figures"

    # Where the contacts' group comes from, per dimension: a field of the
    # communication, else (segment) of its customer.
    DIMENSION_FIELDS = {
        "channel": "channel",
        "stage": "stage_id",
        "collector": "user_id",
        "policy": "policy_id",
        "segment": "partner_id",
    }

    @api.model
    def _payments(self, companies, date_from, date_to):
        """{invoice: [(partial id, date, amount)]}: the payments made after
        ``date_from`` and by ``date_to`` on the companies' invoices, credit
        notes left out (a contact counts only the payments after it)."""
        self.env.flush_all()
        self.env.cr.execute(
            sql_builders.invoice_payments(
                credit_notes=False, company_ids=companies.ids, since=date_from, until=date_to
            )
        )
        payments = defaultdict(list)
        for row in self.env.cr.dictfetchall():
            payments[row["invoice_id"]].append((row["partial_id"], row["pay_date"], row["amount"]))
        return payments

    @api.model
    def _compute(self, date_from, date_to, companies, window_days=None, dimension="channel"):
        """Figures of the period for these companies.

        :param dimension: "channel", "stage", "segment", "collector" or "policy":
            what the contacts are grouped by besides the month
        :return: dict with "rows" (one per month and group, sorted), "new_debts",
            "dashboard"
        """
        window_days = window_days or (companies[:1].dunning_effect_days or 30)
        comm_domain = [
            ("company_id", "in", companies.ids),
            ("state", "=", "sent"),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
        ]
        field = self.DIMENSION_FIELDS.get(dimension, "channel")
        comms = self._contacts(comm_domain, field)
        key_of, labels = self._group_keys(dimension, comms, field)
        contacts = [
            (comm["date"], key_of(comm), comm["partner_id"], comm["claimed"]) for comm in comms
        ]
        payments = self._payments(companies, date_from, date_to + timedelta(days=window_days))
        new_debts = self._new_debts(date_from, date_to, companies)
        table = effectiveness_rules.effectiveness_table(contacts, payments, new_debts, window_days)
        rows = [
            dict(figures, month=month, key=key, label=labels.get(key, key))
            for (month, key), figures in table.items()
        ]
        rows.sort(key=lambda row: (row["month"], str(row["label"])))
        return {
            "rows": rows,
            "new_debts": sorted(new_debts.items()),
            "dashboard": self._dashboard(date_from, date_to, companies),
            "window_days": window_days,
            "dimension": dimension,
        }

    @api.model
    def _contacts(self, domain, field):
        """The communications of ``domain`` as plain values, each with its
        ``field`` and what it claimed ({invoice: amount due then}), read in
        one query: a large company has hundreds of thousands of them and of
        their invoice lines, which the ORM would turn into records first.
        The domain is searched by the ORM, so the reader's record rules apply.
        """
        self.env.flush_all()
        query = self.env["dunning.communication"]._search(domain)
        self.env.cr.execute(sql_builders.claimed_contacts(query.subselect(), field))
        comms = {}
        for comm_id, day, partner_id, key, move_id, amount in self.env.cr.fetchall():
            comm = comms.get(comm_id)
            if comm is None:
                comm = comms[comm_id] = {
                    "date": day,
                    "partner_id": partner_id,
                    field: key,
                    "claimed": {},
                }
            if move_id:
                comm["claimed"][move_id] = amount
        return list(comms.values())

    @api.model
    def _group_keys(self, dimension, comms, field):
        """(function giving a contact's group, {group: label}) for the
        contacts read as plain values, the labels read once per group."""
        if dimension not in self.DIMENSION_FIELDS or dimension == "channel":
            selection = self.env["dunning.communication"]._fields["channel"]
            return (lambda comm: comm["channel"]), dict(selection._description_selection(self.env))
        if dimension == "segment":
            # The customers' segments in one grouped query: browsing a large
            # company's customers would read every column of each.
            groups = (
                self.env["res.partner"]
                .with_context(active_test=False)
                ._read_group(
                    [("id", "in", list({comm["partner_id"] for comm in comms}))],
                    ["dunning_segment_id"],
                    ["id:array_agg"],
                )
            )
            segment_of = {pid: segment.id for segment, pids in groups for pid in pids}
            records = self.env["dunning.segment"].union(*(segment for segment, _pids in groups))
            key_of = lambda comm: segment_of.get(comm["partner_id"], False)  # noqa: E731
        else:
            model = self.env["dunning.communication"]._fields[field].comodel_name
            records = self.env[model].browse({comm[field] for comm in comms} - {False, None})
            key_of = lambda comm: comm[field] or False  # noqa: E731
        labels = {record.id: record.display_name or "-" for record in records}
        labels[False] = "-"
        return key_of, labels

    @api.model
    def _new_debts(self, date_from, date_to, companies):
        """{month: {"customers": n, "amount": x}}: what fell overdue in the
        period, by month (sql_builders.new_debts). An invoice falls overdue
        the day after its due date, for what was still unpaid then (credit
        notes applied by then lower it too)."""
        self.env.flush_all()
        self.env.cr.execute(
            sql_builders.new_debts(companies.ids, date_from - timedelta(days=1), date_to)
        )
        return {
            row["month"]: {"customers": row["customers"], "amount": row["amount"]}
            for row in self.env.cr.dictfetchall()
        }

    @api.model
    def _aged_balance(self, date_to, companies):
        """{age bucket: open amount} on ``date_to``: the open amounts summed
        by due date in the database, then put in their buckets."""
        Move = self.env["account.move"]
        by_due_date = Move._read_group(
            Move._dunning_open_domain(include_excluded=True)
            + [("company_id", "in", companies.ids)],
            ["invoice_date_due:day"],
            ["amount_residual_signed:sum"],
        )
        buckets = dict.fromkeys(
            [name for name, _low, _high in effectiveness_rules.AGE_BUCKETS], 0.0
        )
        for date_due, amount in by_due_date:
            days = engine_rules.days_overdue(date_due, date_to)
            buckets[effectiveness_rules.age_bucket(days)] += amount
        return buckets

    @api.model
    def _dashboard(self, date_from, date_to, companies):
        """Aged balance, DSO, CEI, promises and hand-overs of the period."""
        buckets = self._aged_balance(date_to, companies)
        self.env.flush_all()
        self.env.cr.execute(
            sql_builders.receivables(
                companies.ids, date_from - timedelta(days=1), date_to, sales_from=date_from
            )
        )
        ledger = self.env.cr.dictfetchone()
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
            "receivables": ledger["closing"],
            "dso": effectiveness_rules.dso(ledger["closing"], ledger["sales"], days),
            "cei": effectiveness_rules.cei(
                ledger["opening"], ledger["sales"], ledger["closing"], ledger["closing_current"]
            ),
            "sales": ledger["sales"],
            "promises_kept": promise_figures.get("kept", (0, 0.0)),
            "promises_broken": promise_figures.get("broken", (0, 0.0)),
            "handover": dict(handover),
        }
