# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The SQL of the dunning add-on that the ORM cannot express, in one place,
built with odoo.tools.SQL."""

from odoo.tools import SQL


def invoice_payments(invoice_ids=None, credit_notes=True):
    """The payments of customer invoices: one row per partial reconciliation.

    Columns: invoice_id, partial_id, pay_date, amount (company currency),
    amount_currency (invoice currency), credit_note (settled by a credit note).
    The one reader of an invoice's payments: letters, promises, effectiveness
    figures and the effectiveness analysis view all use it.

    :param invoice_ids: keep to these invoices (all when None)
    :param credit_notes: include settlements by credit notes
    """
    conditions = [SQL("TRUE")]
    if invoice_ids is not None:
        conditions.append(SQL("debit_line.move_id IN %s", tuple(invoice_ids) or (None,)))
    if not credit_notes:
        conditions.append(SQL("credit_move.move_type != 'out_refund'"))
    return SQL(
        """
        SELECT debit_line.move_id AS invoice_id,
               partial.id AS partial_id,
               partial.max_date AS pay_date,
               partial.amount AS amount,
               partial.debit_amount_currency AS amount_currency,
               credit_move.move_type = 'out_refund' AS credit_note
          FROM account_partial_reconcile partial
          JOIN account_move_line debit_line ON debit_line.id = partial.debit_move_id
          JOIN account_move_line credit_line ON credit_line.id = partial.credit_move_id
          JOIN account_move credit_move ON credit_move.id = credit_line.move_id
         WHERE %s
        """,
        SQL(" AND ").join(conditions),
    )


# ----------------------------------------------------------------------
# Invoices' dunning bookkeeping (columns of ours on account_move)
# ----------------------------------------------------------------------
def update_moves(move_ids, values, uid):
    """Set dunning columns of invoices: {column: value}; None for NULL."""
    return SQL(
        "UPDATE account_move SET %s, write_date = now() at time zone 'UTC', write_uid = %s"
        " WHERE id IN %s",
        SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value) for name, value in values.items()
        ),
        uid,
        tuple(move_ids),
    )


# The column types set_column casts its values to.
COLUMN_CASTS = {"date": SQL("date"), "text": SQL("text")}


def set_column(table, column, value_by_id, cast):
    """Set one column of rows, each to its own value: {row id: value}, in one
    statement, without the ORM's write (each caller says why: the predicted
    dates leave write_date alone, the chatter bodies are sanitised once).

    :param cast: the column's type, a key of COLUMN_CASTS
    """
    return SQL(
        "UPDATE %s AS target SET %s = new.value"
        " FROM (VALUES %s) AS new(id, value) WHERE target.id = new.id",
        SQL.identifier(table),
        SQL.identifier(column),
        SQL(", ").join(
            SQL("(%s, %s::%s)", row_id, value, COLUMN_CASTS[cast])
            for row_id, value in value_by_id.items()
        ),
    )


def claim_moves(stage_by_move, day, uid):
    """Invoices reach a stage on ``day``: {invoice id: stage id}, counter + 1."""
    rows = SQL(", ").join(
        SQL("(%s, %s)", move_id, stage_id) for move_id, stage_id in stage_by_move.items()
    )
    return SQL(
        "UPDATE account_move m SET dunning_stage_id = v.stage_id, dunning_last_date = %s,"
        " dunning_count = COALESCE(m.dunning_count, 0) + 1,"
        " write_date = now() at time zone 'UTC', write_uid = %s"
        " FROM (VALUES %s) AS v(id, stage_id) WHERE m.id = v.id",
        day,
        uid,
        rows,
    )


def add_dunning_count(move_ids, delta):
    """Add ``delta`` to invoices' reminder counters, never below zero."""
    return SQL(
        "UPDATE account_move SET dunning_count = GREATEST(COALESCE(dunning_count, 0) + %s, 0)"
        " WHERE id IN %s",
        delta,
        tuple(move_ids),
    )


def lock_moves_nowait(move_ids):
    """Lock invoices for the batch: a payment being reconciled on them waits,
    one committed since the batch's snapshot makes it start again."""
    return SQL(
        "SELECT id FROM account_move WHERE id IN %s FOR NO KEY UPDATE NOWAIT", tuple(move_ids)
    )


def try_company_lock(key, company_id, shared=False):
    """Transaction-level advisory lock of one run at a time per company.

    :param shared: the lock of a batch run as a job: the batches of one run,
        on disjoint customers, share it with one another, never with a run
        working alone (which takes it exclusively)
    """
    if shared:
        return SQL("SELECT pg_try_advisory_xact_lock_shared(%s, %s)", key, company_id)
    return SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", key, company_id)


# ----------------------------------------------------------------------
# Communications and their lines
# ----------------------------------------------------------------------
LINE_ONCE_INDEX = "dunning_communication_line_once_idx"


def create_line_once_index():
    """The database, not Python, guarantees that an invoice never gets the
    same stage through the same channel twice in one cycle, even with two
    runs racing on two workers; cancelled communications do not count, nor
    the calls a collector logs (a record of what happened, as often as it
    happens, not a reminder issued)."""
    return SQL(
        "CREATE UNIQUE INDEX IF NOT EXISTS %s ON dunning_communication_line"
        " (move_id, stage_id, channel, cycle)"
        " WHERE cancelled IS NOT TRUE AND channel != 'phone'",
        SQL.identifier(LINE_ONCE_INDEX),
    )


def drop_line_once_index():
    return SQL("DROP INDEX IF EXISTS %s", SQL.identifier(LINE_ONCE_INDEX))


def sync_lines_cancelled(communication_ids=None):
    """Flag the lines of cancelled communications, unflag the others."""
    scope = (
        SQL("comm.id IN %s", tuple(communication_ids) or (None,))
        if communication_ids is not None
        else SQL("TRUE")
    )
    return SQL(
        "UPDATE dunning_communication_line line SET cancelled = (comm.state = 'cancelled')"
        " FROM dunning_communication comm"
        " WHERE comm.id = line.communication_id AND %s"
        " AND line.cancelled IS DISTINCT FROM (comm.state = 'cancelled')",
        scope,
    )


def insert_rows(table, columns, rows):
    """INSERT of rows given as value lists, in the order of ``columns``."""
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return SQL(
        "INSERT INTO %s (%s) VALUES %s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(name) for name in columns),
        SQL(", ").join(SQL(placeholders, *row) for row in rows),
    )


def utc_now():
    return SQL("SELECT now() at time zone 'UTC'")


def sequence_next_values(sequence_id, count):
    """``count`` numbers of a standard ir.sequence's PostgreSQL sequence."""
    return SQL(
        "SELECT nextval(%s) FROM generate_series(1, %s)", "ir_sequence_%03d" % sequence_id, count
    )


def set_partner_tokens(tokens):
    """Give customers their statement token, {partner id: token}, in one
    UPDATE; a customer that got one meanwhile keeps it."""
    rows = SQL(", ").join(SQL("(%s, %s)", pid, token) for pid, token in tokens.items())
    return SQL(
        "UPDATE res_partner p SET dunning_access_token = v.token"
        " FROM (VALUES %s) AS v(id, token)"
        " WHERE p.id = v.id AND p.dunning_access_token IS NULL",
        rows,
    )
