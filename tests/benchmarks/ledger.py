# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Seeded generator of a large receivables ledger for the benchmarks.

Customers are created through the ORM (in batches). One invoice per company is
created and posted through the ORM as a template; the others are cloned from
it in bulk SQL, moves and journal items alike, with their own customer, dates,
amounts and residuals. Partial payments are represented by their residual
(payment_state 'partial'), not by payment entries: the dunning run reads the
residual, which is what matters here.
"""

import random
from datetime import timedelta

from odoo import Command, fields

SEGMENTS = ("strategic", "public", "large", "sme", "mass")
SEGMENT_WEIGHTS = (1, 2, 7, 40, 50)


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position",
        (table,),
    )
    return [name for (name,) in cr.fetchall() if name != "id"]


def create_customers(env, count, seed=1, prefix="Bench"):
    """``count`` company customers spread over the shipped segments."""
    rng = random.Random(seed)
    segments = [env.ref(f"account_dunning_es.dunning_segment_{code}") for code in SEGMENTS]
    spain = env.ref("base.es")
    partners = env["res.partner"]
    for start in range(0, count, 1000):
        vals = []
        for n in range(start, min(start + 1000, count)):
            segment = rng.choices(segments, SEGMENT_WEIGHTS)[0]
            vals.append(
                {
                    "name": f"{prefix} Cliente {n:06d} SL",
                    "is_company": True,
                    "email": f"cliente{n}@example.com",
                    "phone": f"+34 6{rng.randint(10000000, 99999999)}",
                    "street": "Calle Mayor 1",
                    "zip": "28013",
                    "city": "Madrid",
                    "country_id": spain.id,
                    "dunning_segment_id": segment.id,
                }
            )
        partners |= env["res.partner"].with_context(tracking_disable=True).create(vals)
    return partners


def _template_invoice(env, company, partner, currency=None):
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    move = (
        env["account.move"]
        .with_company(company)
        .create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "journal_id": journal.id,
                "invoice_date": fields.Date.today(),
                "currency_id": (currency or company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Servicio", "quantity": 1, "price_unit": 100.0, "tax_ids": []}
                    )
                ],
            }
        )
    )
    move.action_post()
    return move


def create_invoices(env, partners, count, today, overdue, seed=2, company=None, currency=None,
                    partial_ratio=0.1, prefix="BENCH"):
    """Clone ``count`` open invoices, ``overdue`` of them past their due date.

    Overdue invoices fall due over the last 120 days; the others within the
    next 60 days. A ``partial_ratio`` share is partially paid.
    """
    rng = random.Random(seed)
    company = company or env.company
    template = _template_invoice(env, company, partners[0], currency)
    # The clones copy the template's rows: everything the ORM still holds
    # (the journal items' parent_state, for one) must be in the table first.
    env.flush_all()
    rate = abs(template.amount_total_signed / template.amount_total) if template.amount_total else 1
    cr = env.cr
    rows = []
    for n in range(count):
        if n < overdue:
            due = today - timedelta(days=rng.randint(1, 120))
        else:
            due = today + timedelta(days=rng.randint(0, 60))
        total = round(rng.uniform(20, 5000), 2)
        residual = round(total * rng.uniform(0.2, 0.9), 2) if rng.random() < partial_ratio else total
        partner = partners[rng.randrange(len(partners))]
        rows.append(
            (
                f"{prefix}/{company.id}/{n:07d}",
                partner.id,
                due - timedelta(days=30),
                due,
                total,
                residual,
                "partial" if residual < total else "not_paid",
            )
        )
    move_cols = _columns(cr, "account_move")
    overrides = {
        "name": "v.name",
        "partner_id": "v.partner_id",
        "commercial_partner_id": "v.partner_id",
        "partner_shipping_id": "v.partner_id",
        "invoice_date": "v.invoice_date",
        "date": "v.invoice_date",
        "invoice_date_due": "v.due",
        "payment_reference": "v.name",
        "invoice_partner_display_name": "NULL",
        "access_token": "NULL",
        "sequence_number": "NULL",
        "payment_state": "v.payment_state",
        "amount_untaxed": "v.total",
        "amount_total": "v.total",
        "amount_residual": "v.residual",
        "amount_untaxed_in_currency_signed": "v.total",
        "amount_total_in_currency_signed": "v.total",
        "amount_untaxed_signed": f"round(v.total * {rate}, 2)",
        "amount_total_signed": f"round(v.total * {rate}, 2)",
        "amount_residual_signed": f"round(v.residual * {rate}, 2)",
    }
    select = ", ".join(overrides.get(col, f"t.{col}") for col in move_cols)
    for start in range(0, len(rows), 5000):
        chunk = rows[start:start + 5000]
        values = ",".join(
            cr.mogrify("(%s,%s,%s::date,%s::date,%s::numeric,%s::numeric,%s)", row).decode()
            for row in chunk
        )
        cr.execute(
            f"INSERT INTO account_move ({', '.join(move_cols)}) "
            f"SELECT {select} FROM (VALUES {values}) "
            "AS v(name, partner_id, invoice_date, due, total, residual, payment_state) "
            "CROSS JOIN account_move t WHERE t.id = %s",
            (template.id,),
        )
    line_cols = _columns(cr, "account_move_line")
    sign = "sign(tl.balance)"
    line_overrides = {
        "move_id": "m.id",
        "partner_id": "m.partner_id",
        "move_name": "m.name",
        "date": "m.date",
        "invoice_date": "m.invoice_date",
        "date_maturity": "CASE WHEN tl.date_maturity IS NULL THEN NULL ELSE m.invoice_date_due END",
        "debit": "CASE WHEN tl.debit > 0 THEN m.amount_total_signed ELSE 0 END",
        "credit": "CASE WHEN tl.credit > 0 THEN m.amount_total_signed ELSE 0 END",
        "balance": f"{sign} * m.amount_total_signed",
        "amount_currency": f"{sign} * m.amount_total",
        "price_unit": "m.amount_total",
        "price_subtotal": "m.amount_total",
        "price_total": "m.amount_total",
        "amount_residual": "CASE WHEN tl.amount_residual <> 0 THEN m.amount_residual_signed ELSE 0 END",
        "amount_residual_currency": "CASE WHEN tl.amount_residual_currency <> 0 THEN m.amount_residual ELSE 0 END",
        "reconciled": "false",
        "matching_number": "NULL",
        "full_reconcile_id": "NULL",
    }
    line_select = ", ".join(line_overrides.get(col, f"tl.{col}") for col in line_cols)
    cr.execute(
        f"INSERT INTO account_move_line ({', '.join(line_cols)}) "
        f"SELECT {line_select} FROM account_move m "
        "JOIN account_move_line tl ON tl.move_id = %s "
        "WHERE m.name LIKE %s AND m.company_id = %s",
        (template.id, f"{prefix}/{company.id}/%", company.id),
    )
    # The template itself is no part of the ledger.
    template.button_draft()
    template.button_cancel()
    env.invalidate_all()
    return len(rows)
