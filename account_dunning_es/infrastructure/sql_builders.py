# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The SQL of the dunning add-on that the ORM cannot express, in one place,
built with odoo.tools.SQL."""

from odoo.tools import SQL


def invoice_payments(invoice_ids=None, credit_notes=True, company_ids=None, since=None, until=None):
    """The payments of customer invoices: one row per partial reconciliation.

    Columns: invoice_id, partial_id, pay_date, amount (company currency),
    amount_currency (invoice currency), credit_note (settled by a credit note).
    The one reader of an invoice's payments: letters, promises, effectiveness
    figures, the management dashboard and the effectiveness analysis view
    all use it.

    :param invoice_ids: keep to these invoices (all when None)
    :param credit_notes: include settlements by credit notes
    :param company_ids: keep to the invoices of these companies
    :param since: keep to the payments made after this day
    :param until: keep to the payments made by this day
    """
    conditions = [SQL("TRUE")]
    if invoice_ids is not None:
        conditions.append(SQL("debit_line.move_id IN %s", tuple(invoice_ids) or (None,)))
    if not credit_notes:
        conditions.append(SQL("credit_move.move_type != 'out_refund'"))
    if company_ids is not None:
        conditions.append(SQL("debit_line.company_id IN %s", tuple(company_ids) or (None,)))
    if since is not None:
        conditions.append(SQL("partial.max_date > %s", since))
    if until is not None:
        conditions.append(SQL("partial.max_date <= %s", until))
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


def claimed_contacts(communications, column):
    """The communications of a query with what each claimed: one row per
    communication and invoice listed (move_id NULL for one listing none).

    Columns: id, date, partner_id, key (the communication's ``column``),
    move_id, amount (the invoice's amount due then, company currency).

    :param communications: SQL selecting the ids (the ORM's ``_search``, so
        that the reader's record rules apply)
    """
    return SQL(
        """
        SELECT comm.id, comm.date, comm.partner_id, comm.%(column)s AS key,
               line.move_id, line.amount_residual_company AS amount
          FROM dunning_communication comm
          LEFT JOIN dunning_communication_line line ON line.communication_id = comm.id
         WHERE comm.id IN %(communications)s
        """,
        column=SQL.identifier(column),
        communications=communications,
    )


# The customer invoices of companies that count in the management figures.
POSTED_INVOICES = "m.move_type = 'out_invoice' AND m.state = 'posted' AND m.company_id IN %s"


def receivables(company_ids, opening_day, closing_day, sales_from):
    """The period's credit sales and what customers owed at its two ends.

    One row: sales (invoices dated from ``sales_from`` to ``closing_day``),
    opening and closing (what the posted invoices dated by then still owed,
    every settlement made by then deducted, credit notes included), and
    closing_current (the part of closing not yet due on ``closing_day``).
    Amounts in company currency.
    """
    return SQL(
        """
        WITH payment AS (%(payments)s),
             settled AS (
                 SELECT invoice_id,
                        SUM(amount) FILTER (WHERE pay_date <= %(opening)s) AS at_opening,
                        SUM(amount) AS at_closing
                   FROM payment GROUP BY invoice_id)
        SELECT COALESCE(SUM(m.amount_total_signed)
                        FILTER (WHERE m.invoice_date >= %(sales_from)s), 0) AS sales,
               COALESCE(SUM(GREATEST(m.amount_total_signed - COALESCE(s.at_opening, 0), 0))
                        FILTER (WHERE m.invoice_date <= %(opening)s), 0) AS opening,
               COALESCE(SUM(GREATEST(m.amount_total_signed - COALESCE(s.at_closing, 0), 0)),
                        0) AS closing,
               COALESCE(SUM(GREATEST(m.amount_total_signed - COALESCE(s.at_closing, 0), 0))
                        FILTER (WHERE m.invoice_date_due IS NULL
                                   OR m.invoice_date_due >= %(closing)s), 0) AS closing_current
          FROM account_move m
          LEFT JOIN settled s ON s.invoice_id = m.id
         WHERE %(posted)s AND m.invoice_date <= %(closing)s
        """,
        payments=invoice_payments(company_ids=company_ids, until=closing_day),
        opening=opening_day,
        closing=closing_day,
        sales_from=sales_from,
        posted=SQL(POSTED_INVOICES, tuple(company_ids) or (None,)),
    )


def new_debts(company_ids, due_from, due_before):
    """What fell overdue, by month: one row per month in which invoices
    due from ``due_from`` (included) to ``due_before`` (excluded) fell
    overdue (the day after their due date), with the customers (each once)
    and the amount still unpaid on the due date (every settlement made by
    then deducted, credit notes included; unpaid means over half a cent).
    """
    return SQL(
        """
        WITH due AS (
                 SELECT m.id, m.commercial_partner_id, m.invoice_date_due,
                        m.amount_total_signed
                   FROM account_move m
                  WHERE %(posted)s AND m.invoice_date_due >= %(due_from)s
                    AND m.invoice_date_due < %(due_before)s),
             payment AS (%(payments)s),
             settled AS (
                 SELECT due.id, SUM(payment.amount) AS amount
                   FROM payment JOIN due ON due.id = payment.invoice_id
                  WHERE payment.pay_date <= due.invoice_date_due
                  GROUP BY due.id)
        SELECT date_trunc('month', due.invoice_date_due + 1)::date AS month,
               COUNT(DISTINCT due.commercial_partner_id) AS customers,
               SUM(due.amount_total_signed - COALESCE(settled.amount, 0)) AS amount
          FROM due LEFT JOIN settled ON settled.id = due.id
         WHERE due.amount_total_signed - COALESCE(settled.amount, 0) > 0.005
         GROUP BY 1
        """,
        posted=SQL(POSTED_INVOICES, tuple(company_ids) or (None,)),
        due_from=due_from,
        due_before=due_before,
        payments=invoice_payments(company_ids=company_ids, until=due_before),
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


# What claim_moves writes on each invoice: no index of account_move may cover
# these columns, so that the rows are updated in place (HOT; see
# account.move.dunning_stage_id and the test that checks it).
CLAIMED_MOVE_COLUMNS = (
    "dunning_stage_id",
    "dunning_last_date",
    "dunning_count",
    "write_date",
    "write_uid",
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


def ask_invoice_pdf(move_id, company_id, lang, version, uid):
    """Ask for an invoice's statement PDF: one row per invoice, language and
    version, however many requests ask at once (the unique constraint
    decides; the ORM's create would fail the requests that come second)."""
    return SQL(
        "INSERT INTO dunning_invoice_pdf"
        " (move_id, company_id, lang, version, state,"
        "  create_uid, write_uid, create_date, write_date)"
        " VALUES (%s, %s, %s, %s, 'pending', %s, %s,"
        "  now() at time zone 'UTC', now() at time zone 'UTC')"
        " ON CONFLICT (move_id, lang, version) DO NOTHING",
        move_id,
        company_id,
        lang,
        version,
        uid,
        uid,
    )
