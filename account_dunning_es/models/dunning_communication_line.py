# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models

from ..infrastructure import sql_builders

# Columns Odoo fills on every row, which a bulk insert fills itself.
LOG_COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")


class DunningCommunicationLine(models.Model):
    _name = "dunning.communication.line"
    _description = "Invoice Claimed by a Dunning Communication"
    _order = "communication_id, date_due, id"

    communication_id = fields.Many2one(
        "dunning.communication", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="communication_id.company_id", store=True)
    partner_id = fields.Many2one(related="communication_id.partner_id", store=True, index=True)
    channel = fields.Selection(related="communication_id.channel", store=True)
    state = fields.Selection(related="communication_id.state")
    # For the unique index below. Unlike a stored copy of the state, it is
    # rewritten only when the communication is cancelled (or leaves that
    # state), not each time one is sent: dunning.communication.write keeps it.
    cancelled = fields.Boolean(readonly=True, copy=False)
    date = fields.Date(related="communication_id.date", store=True)
    move_id = fields.Many2one("account.move", required=True, ondelete="cascade", index=True)
    stage_id = fields.Many2one("dunning.stage", required=True, ondelete="restrict")
    previous_stage_id = fields.Many2one(
        "dunning.stage", ondelete="set null", help="Stage of the invoice before this one."
    )
    previous_date = fields.Date(help="Last reminder date of the invoice before this one.")
    cycle = fields.Integer(
        help="Dunning cycle of the invoice: a reset of its stage starts a new cycle."
    )
    # Snapshot of the invoice on the day it was claimed: the history must not
    # change when the invoice is paid later.
    currency_id = fields.Many2one("res.currency", required=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    invoice_date = fields.Date()
    date_due = fields.Date(string="Due Date")
    days_overdue = fields.Integer()
    amount_total = fields.Monetary(currency_field="currency_id")
    amount_paid = fields.Monetary(currency_field="currency_id")
    amount_residual = fields.Monetary(currency_field="currency_id")
    amount_residual_company = fields.Monetary(currency_field="company_currency_id")
    payment_reference = fields.Char()

    def init(self):
        # The unique index that refuses the same reminder twice (see
        # sql_builders.create_line_once_index); data fixes live in migrations/.
        self.env.cr.execute(sql_builders.create_line_once_index())

    @api.model
    def _bulk_create(self, rows):
        """Insert lines given as column values, a few thousand per statement.

        A run claims tens of thousands of invoices: through ``create()`` each
        line costs its defaults, related fields and cache (most of the time of
        a run). Here the caller gives every stored value, computed and related
        ones included (company, customer, channel and date of the
        communication); other stored fields left out get their default.
        Nothing is returned and the cache of the communications' lines is left
        to the caller to invalidate.
        """
        if not rows:
            return
        columns = sorted(set().union(*rows))
        for name in columns:
            field = self._fields[name]
            if not field.store or not field.column_type or name in LOG_COLUMNS:
                raise ValueError(f"{name} is not a column to insert on {self._name}")
        missing = [
            name
            for name, field in self._fields.items()
            if field.store
            and field.column_type
            and name not in columns
            and name not in LOG_COLUMNS
            and name != "id"
        ]
        computed = [name for name in missing if self._fields[name].compute]
        if computed:
            raise ValueError(f"give the computed values {computed} to insert on {self._name}")
        defaults = {
            name: value for name, value in self.default_get(missing).items() if value is not False
        }
        columns += sorted(defaults)
        self.env.cr.execute(sql_builders.utc_now())
        now = self.env.cr.fetchone()[0]
        log_values = (self.env.uid, now, self.env.uid, now)
        all_columns = [*columns, *LOG_COLUMNS]
        for start in range(0, len(rows), 5000):
            self.env.cr.execute(
                sql_builders.insert_rows(
                    self._table,
                    all_columns,
                    (
                        [
                            *(
                                None
                                if (value := row.get(name, defaults.get(name))) is False
                                else value
                                for name in columns
                            ),
                            *log_values,
                        ]
                        for row in rows[start : start + 5000]
                    ),
                )
            )

    def _restore_previous_stage(self):
        """Put invoices back on the stage they had before these lines."""
        restore = defaultdict(lambda: self.env["account.move"])
        for line in self:
            move = line.move_id
            if move.dunning_stage_id == line.stage_id and move.dunning_cycle == line.cycle:
                restore[(line.previous_stage_id.id, line.previous_date)] |= move
        for (stage_id, last_date), moves in restore.items():
            moves._dunning_write({"dunning_stage_id": stage_id, "dunning_last_date": last_date})
            moves._dunning_add_count(-1)
