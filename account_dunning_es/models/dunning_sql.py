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
