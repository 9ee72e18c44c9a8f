# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The managers' cash-in forecast: the next 13 weeks of expected collections,
and the predicted payment dates it is built on.

Rebuilt by the daily job and when a manager opens or refreshes it. The rules
(how late a customer pays, how a week is summed) are the plain functions of
``prediction_rules``; here only the reading and the writing, in
batches.
"""

import base64
import io
from collections import defaultdict
from datetime import timedelta

import xlsxwriter

from odoo import api, fields, models

from ..infrastructure import sql_builders
from ..rules import prediction as rules

KINDS = [
    ("invoice", "Invoices (predicted date)"),
    ("promise", "Promised instalments (weighted)"),
    ("not_expected", "Overdue, not expected"),
]
# Two years of payments feed the prediction (older ones weigh little anyway).
HISTORY_DAYS = 730


class DunningCashForecast(models.Model):
    _name = "dunning.cash.forecast"
    _description = "Cash-in Forecast"
    _order = "week_start, kind, amount desc, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    week_start = fields.Date(
        string="Week", required=True, index=True, help="Monday of the week, shown as its date."
    )
    kind = fields.Selection(KINDS, required=True)
    partner_id = fields.Many2one("res.partner", string="Customer", ondelete="cascade", index=True)
    segment_id = fields.Many2one(related="partner_id.dunning_segment_id", store=True)
    amount = fields.Monetary(string="Expected Amount", currency_field="currency_id")
    amount_due = fields.Monetary(
        string="Amount Owed",
        currency_field="currency_id",
        help="Before weighting promised instalments by the customer's kept-promise rate.",
    )
    forecast_date = fields.Date(
        string="Computed On", help="Day the forecast was computed for (its first week)."
    )

    # ------------------------------------------------------------------
    # Predicted payment dates
    # ------------------------------------------------------------------
    @api.model
    def _open_invoices(self, company):
        """The company's open invoices with what the predictions and the
        forecast read of them, in one query."""
        # sudo: bookkeeping of the daily job, also run when a manager opens
        # the forecast; every read is limited to the company.
        Move = self.env["account.move"].sudo()
        return Move.search_fetch(
            Move._dunning_open_domain(company, include_excluded=True),
            [
                "commercial_partner_id",
                "invoice_date_due",
                "amount_residual_signed",
                "dunning_predicted_date",
                "dunning_stage_id",
            ],
        )

    @api.model
    def _open_promises(self, company):
        return (
            self.env["dunning.promise"]
            .sudo()
            .search([("company_id", "=", company.id), ("state", "=", "open")])
        )

    @api.model
    def _update_predictions(self, company, today, moves=None, promises=None):
        """Write each open invoice's predicted payment date and each customer's
        usual days late; return {invoice id: predicted date}. Reads the paid
        history in two queries (the open invoices and promises once, or as
        given); writes grouped by value, and only what changed."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        history = Partner._dunning_paid_history(company, today - timedelta(days=HISTORY_DAYS))
        if moves is None:
            moves = self._open_invoices(company)
        if promises is None:
            promises = self._open_promises(company)
        customers = moves.commercial_partner_id | Partner.browse(list(history))
        segment_of = {p.id: p.dunning_segment_id.id for p in customers}
        own = {
            pid: rules.Lateness(rules.lateness_samples(paid, today))
            for pid, paid in history.items()
        }
        pooled = defaultdict(list)
        for pid, paid in history.items():
            pooled[segment_of.get(pid)].extend(rules.lateness_samples(paid, today))
        pool = {segment: rules.Lateness(samples) for segment, samples in pooled.items()}
        promised = {
            move_id: promise.next_date or promise.date_due or today
            for promise in promises
            for move_id in promise.move_ids.ids
        }

        def predict(pid, already_late=0):
            return rules.predict_days_late(
                own.get(pid, rules.NO_HISTORY),
                pool.get(segment_of.get(pid), rules.NO_HISTORY),
                already_late,
            )

        dates = {}
        most_late = defaultdict(int)  # customer id: days its oldest open invoice is overdue
        for move in moves:
            due = move.invoice_date_due or today
            pid = move.commercial_partner_id.id
            most_late[pid] = max(most_late[pid], (today - due).days)
            prediction = predict(pid, (today - due).days)
            dates[move.id] = rules.predicted_date(
                due, today, prediction.days_late, promised.get(move.id)
            )
        self._write_predicted_dates(moves, dates)
        self._write_customer_habits(customers, predict, most_late)
        return dates

    @api.model
    def _write_predicted_dates(self, moves, dates):
        """Store the invoices' predicted dates that changed ({id: date})."""
        changed = {
            move.id: dates[move.id]
            for move in moves
            if dates[move.id] != move.dunning_predicted_date
        }
        # Straight to the column, in chunks: account.move.write would
        # re-synchronise the journal items of every invoice for a forecast,
        # and a forecast is not bookkeeping (write_date left alone, or the
        # daily job would mark every open invoice as changed).
        ids = list(changed)
        for start in range(0, len(ids), 10000):
            chunk = ids[start : start + 10000]
            self.env.cr.execute(
                sql_builders.set_column(
                    "account_move",
                    "dunning_predicted_date",
                    {move_id: changed[move_id] for move_id in chunk},
                    "date",
                )
            )
        moves.invalidate_recordset(["dunning_predicted_date"])

    @api.model
    def _write_customer_habits(self, customers, predict, most_late=None):
        """Store each customer's usual days late and its basis, grouped by
        value, only where they changed. A customer with no payment to judge
        by that is already overdue is expected as its invoices are, later
        than ever (not "0 days late, the due date").

        :param predict: ``predict(customer id, days already late) -> rules.Prediction``
        :param most_late: {customer id: days its oldest open invoice is overdue}
        """
        most_late = most_late or {}
        by_habit = defaultdict(list)
        for customer in customers:
            prediction = predict(customer.id)
            if prediction.basis == "none" and most_late.get(customer.id, 0) > 0:
                prediction = predict(customer.id, most_late[customer.id])
            basis = prediction.basis
            if (customer.dunning_predicted_days_late, customer.dunning_prediction_basis) != (
                prediction.days_late,
                basis,
            ):
                by_habit[(prediction.days_late, basis)].append(customer.id)
        for (days, basis), ids in by_habit.items():
            customers.sudo().browse(ids).write(
                {"dunning_predicted_days_late": days, "dunning_prediction_basis": basis}
            )

    # ------------------------------------------------------------------
    # The forecast
    # ------------------------------------------------------------------
    @api.model
    def _items(self, company, today, moves, dates, promises):
        """{customer id: [(date, amount, kind, amount owed)]} of what may come
        in: the open invoices at their predicted ``dates``, the promises'
        instalments."""
        under_promise = set(promises.move_ids.ids)
        horizon = rules.week_start(today) + timedelta(weeks=rules.FORECAST_WEEKS)
        items = defaultdict(list)
        for move in moves:
            if move.id in under_promise:
                continue  # counted by its promise's instalments
            due = move.invoice_date_due or today
            day = dates[move.id]
            amount = move.amount_residual_signed
            overdue = due < today
            if overdue and (move.dunning_stage_id.handover or day >= horizon):
                kind = "not_expected"
            else:
                kind = "invoice"
            items[move.commercial_partner_id.id].append((day, amount, kind, amount))
        rates = self._kept_rates(company, promises.partner_id)
        for promise in promises:
            rate = rates[promise.partner_id.id]
            for instalment in promise.instalment_ids:
                left = instalment.amount - instalment.amount_paid
                if left <= 0:
                    continue
                items[promise.partner_id.id].append((instalment.date, left * rate, "promise", left))
                if rate < 1:
                    items[promise.partner_id.id].append(
                        (instalment.date, left * (1 - rate), "not_expected", 0.0)
                    )
        return items

    @api.model
    def _kept_rates(self, company, partners):
        """{customer id: share of its closed promises kept}, the company's
        share for customers that closed none."""
        counts = defaultdict(lambda: {"kept": 0, "broken": 0})
        for partner, state, count in (
            self.env["dunning.promise"]
            .sudo()
            ._read_group(
                [("company_id", "=", company.id), ("state", "in", ("kept", "broken"))],
                ["partner_id", "state"],
                ["__count"],
            )
        ):
            counts[partner.id][state] += count
        company_kept = sum(c["kept"] for c in counts.values())
        company_broken = sum(c["broken"] for c in counts.values())
        company_rate = rules.kept_rate(company_kept, company_broken)
        return defaultdict(
            lambda: company_rate,
            {
                partner.id: rules.kept_rate(
                    counts[partner.id]["kept"], counts[partner.id]["broken"], company_rate
                )
                for partner in partners
            },
        )

    @api.model
    def _rebuild(self, company, today=None):
        """Compute the company's forecast again (predictions first)."""
        today = today or fields.Date.context_today(self)
        moves = self._open_invoices(company)
        promises = self._open_promises(company)
        dates = self._update_predictions(company, today, moves, promises)
        self.sudo().search([("company_id", "=", company.id)]).unlink()
        vals_list = []
        items = self._items(company, today, moves, dates, promises)
        for partner_id, partner_items in items.items():
            weekly = rules.weekly_forecast([item[:3] for item in partner_items], today)
            owed = rules.weekly_forecast([(d, owe, k) for d, _a, k, owe in partner_items], today)
            for (monday, kind), amount in weekly.items():
                vals_list.append(
                    {
                        "company_id": company.id,
                        "week_start": monday,
                        "kind": kind,
                        "partner_id": partner_id,
                        "amount": amount,
                        "amount_due": owed.get((monday, kind), 0.0),
                        "forecast_date": today,
                    }
                )
        # Every week of the horizon is a bar and a column, an empty one too:
        # a week nobody pays in is news to a manager.
        first = rules.week_start(today)
        filled = {vals["week_start"] for vals in vals_list}
        for monday in (first + timedelta(weeks=n) for n in range(rules.FORECAST_WEEKS)):
            if monday not in filled:
                vals_list.append(
                    {
                        "company_id": company.id,
                        "week_start": monday,
                        "kind": "invoice",
                        "amount": 0.0,
                        "amount_due": 0.0,
                        "forecast_date": today,
                    }
                )
        self.sudo().create(vals_list)
        return True

    @api.model
    def _cron_rebuild(self):
        for (company,) in self.env["dunning.policy"].sudo()._read_group([], ["company_id"]):
            self.with_company(company)._rebuild(company)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    @api.model
    def action_open(self):
        """Menu entry: the forecast, computed first when the daily job has not
        computed it today."""
        company = self.env.company
        today = fields.Date.context_today(self)
        if not self.search_count(
            [("company_id", "=", company.id), ("forecast_date", "=", today)], limit=1
        ):
            self._rebuild(company, today)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.dunning_cash_forecast_action"
        )
        return action

    # List header buttons: called on the records selected (none, as a rule),
    # hence record methods, not @api.model ones.
    def action_refresh(self):
        self._rebuild(self.env.company)
        # The list again, without reloading the whole page.
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _weekly_totals(self, company):
        """[(monday, {kind: amount})] of the company's forecast, every week of
        the horizon present."""
        rows = self._read_group(
            [("company_id", "=", company.id)], ["week_start:day", "kind"], ["amount:sum"]
        )
        today = fields.Date.context_today(self)
        first = rules.week_start(today)
        weeks = [first + timedelta(weeks=n) for n in range(rules.FORECAST_WEEKS)]
        totals = {monday: defaultdict(float) for monday in weeks}
        for monday, kind, amount in rows:
            totals.setdefault(monday, defaultdict(float))[kind] += amount
        return sorted(totals.items())

    @api.model
    def _xlsx_content(self, company):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        labels = dict(self._fields["kind"]._description_selection(self.env))
        sheet = workbook.add_worksheet(self.env._("Cash-in Forecast"))
        sheet.write_row(
            0,
            0,
            [
                self.env._("Week (Monday)"),
                labels["invoice"],
                labels["promise"],
                self.env._("Expected"),
                labels["not_expected"],
            ],
            bold,
        )
        row = 0
        for row, (monday, amounts) in enumerate(self._weekly_totals(company), start=1):
            sheet.write_datetime(row, 0, fields.Datetime.to_datetime(monday), day)
            sheet.write_number(row, 1, amounts["invoice"], money)
            sheet.write_number(row, 2, amounts["promise"], money)
            sheet.write_formula(row, 3, f"=B{row + 1}+C{row + 1}", money)
            sheet.write_number(row, 4, amounts["not_expected"], money)
        sheet.write(row + 1, 0, self.env._("Total"), bold)
        for col in "BCDE":
            sheet.write_formula(
                row + 1, "BCDE".index(col) + 1, f"=SUM({col}2:{col}{row + 1})", money
            )
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 4, 22)
        self._xlsx_detail(workbook, company, labels, bold, money, day)
        workbook.close()
        return output.getvalue()

    @api.model
    def _xlsx_detail(self, workbook, company, labels, bold, money, day):
        sheet = workbook.add_worksheet(self.env._("By Customer"))
        sheet.write_row(
            0,
            0,
            [
                self.env._("Week (Monday)"),
                self.env._("Customer"),
                self.env._("Kind"),
                self.env._("Expected"),
                self.env._("Amount Owed"),
            ],
            bold,
        )
        lines = self.search([("company_id", "=", company.id), ("partner_id", "!=", False)])
        for row, line in enumerate(lines, start=1):
            sheet.write_datetime(row, 0, fields.Datetime.to_datetime(line.week_start), day)
            sheet.write(row, 1, line.partner_id.display_name or "")
            sheet.write(row, 2, labels[line.kind])
            sheet.write_number(row, 3, line.amount, money)
            sheet.write_number(row, 4, line.amount_due, money)
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 2, 34)
        sheet.set_column(3, 4, 16)

    def action_export_xlsx(self):
        company = self.env.company
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "cash_in_forecast_%(date)s.xlsx", date=fields.Date.context_today(self)
                ),
                "datas": base64.b64encode(self._xlsx_content(company)),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
