# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Seeded generator of a large receivables ledger for the benchmarks.

Customers are created through the ORM (in batches). One invoice per company,
currency and move type is created and posted through the ORM as a template;
the others are cloned from it in bulk SQL, moves and journal items alike, with
their own customer, dates, amounts and residuals. Partial payments are
represented by their residual (payment_state 'partial'), not by payment
entries: the dunning run reads the residual, which is what matters here.

:func:`build` makes the benchmarks' ledger: two companies (the second one
gets the first one's dunning policies), invoices in a foreign currency and
open credit notes beside the invoices.
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


# Shares of the ledger: the second company's invoices, invoices in a foreign
# currency (first company) and open credit notes (first company).
SECOND_COMPANY_SHARE = 0.2
FOREIGN_SHARE = 0.05
CREDIT_NOTE_SHARE = 0.02
PREFIXES = ("BENCH", "BENCHB", "BENCHFX", "BENCHCN")
# Days from invoice to due date, drawn per invoice.
PAYMENT_TERMS = (0, 30, 30, 60, 90)
# Bump when the ledger changes: benchmark databases are then rebuilt.
VERSION = 3


def ledger_size(env):
    """Moves of the benchmark ledger in the database."""
    env.cr.execute(
        "SELECT count(*) FROM account_move WHERE split_part(name, '/', 1) IN %s "
        "AND state = 'posted'",
        (PREFIXES,),
    )
    return env.cr.fetchone()[0]


def second_company(env, name="Bench Levante SL"):
    """The second company of the ledger, with a chart of accounts and the
    first company's dunning policies (created once)."""
    company = env["res.company"].search([("name", "=", name)], limit=1)
    if company:
        return company
    euro = env.ref("base.EUR")
    euro.active = True
    # No country: Odoo would install that country's accounting module and
    # load its chart at commit; the benchmark keeps the first company's chart.
    company = env["res.company"].create({"name": name, "currency_id": euro.id})
    env.user.company_ids |= company
    # The chart is loaded with the new company as the only allowed one (with
    # the main company allowed too, Odoo's account checks mix the two).
    in_company = env(context=dict(env.context, allowed_company_ids=[company.id]))
    in_company["account.chart.template"].try_loading(
        env.company.chart_template or "generic_coa", company, install_demo=False
    )
    company.currency_id = euro  # the chart sets its own
    env["dunning.policy"]._copy_to_company(company, source=env.company)
    return company


def foreign_currency(env, company):
    """A currency other than the company's, active, with a rate."""
    code = "EUR" if company.currency_id.name != "EUR" else "USD"
    currency = env.ref(f"base.{code}")
    currency.active = True
    if not env["res.currency.rate"].search_count(
        [("currency_id", "=", currency.id), ("company_id", "=", company.id)]
    ):
        env["res.currency.rate"].create(
            {
                "currency_id": currency.id,
                "company_id": company.id,
                "name": "2020-01-01",
                "rate": 0.9,
            }
        )
    return currency


def build(env, customers, invoices, overdue, today, seed=1):
    """The benchmarks' ledger: ``invoices`` open moves, ``overdue`` past due.

    Split between two companies, with a share in a foreign currency and a
    share of open credit notes; customers are shared by both companies.
    """
    partners = create_customers(env, customers, seed=seed)
    company_a = env.company
    company_b = second_company(env)
    n_b = int(invoices * SECOND_COMPANY_SHARE)
    n_fx = int(invoices * FOREIGN_SHARE)
    n_cn = int(invoices * CREDIT_NOTE_SHARE)
    n_a = invoices - n_b - n_fx - n_cn
    parts = [
        # (company, count, currency, move type, prefix)
        (company_a, n_a, None, "out_invoice", "BENCH"),
        (company_b, n_b, None, "out_invoice", "BENCHB"),
        (company_a, n_fx, foreign_currency(env, company_a), "out_invoice", "BENCHFX"),
        (company_a, n_cn, None, "out_refund", "BENCHCN"),
    ]
    for index, (company, count, currency, move_type, prefix) in enumerate(parts):
        create_invoices(
            env,
            partners,
            count,
            today,
            round(overdue * count / invoices),
            seed=seed + 1 + index,
            company=company,
            currency=currency,
            move_type=move_type,
            prefix=prefix,
        )
    return partners


def _template_invoice(env, company, partner, currency=None, move_type="out_invoice"):
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    move = (
        env["account.move"]
        .with_company(company)
        .create(
            {
                "move_type": move_type,
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


def create_invoices(
    env,
    partners,
    count,
    today,
    overdue,
    seed=2,
    company=None,
    currency=None,
    partial_ratio=0.1,
    prefix="BENCH",
    move_type="out_invoice",
):
    """Clone ``count`` open invoices (or credit notes), ``overdue`` past due.

    Payment terms vary (cash, 30, 60, 90 days), so invoice dates spread over
    the last year. Overdue invoices fell due over the last year, most of them
    recently (exponential, mean 45 days, at most 360); the others fall due
    within the next 90 days. A ``partial_ratio`` share is partially paid.
    """
    if not count:
        return 0
    rng = random.Random(seed)
    company = company or env.company
    template = _template_invoice(env, company, partners[0], currency, move_type)
    # The clones copy the template's rows: everything the ORM still holds
    # (the journal items' parent_state, for one) must be in the table first.
    env.flush_all()
    # Company currency per unit of the invoice's, negative for credit notes.
    rate = template.amount_total_signed / template.amount_total if template.amount_total else 1
    sign = -1 if rate < 0 else 1
    cr = env.cr
    rows = []
    for n in range(count):
        terms = rng.choice(PAYMENT_TERMS)
        if n < overdue:
            due = today - timedelta(days=min(1 + int(rng.expovariate(1 / 45)), 360))
        else:
            due = today + timedelta(days=rng.randint(0, 90))
        total = round(rng.uniform(20, 5000), 2)
        residual = (
            round(total * rng.uniform(0.2, 0.9), 2) if rng.random() < partial_ratio else total
        )
        partner = partners[rng.randrange(len(partners))]
        rows.append(
            (
                f"{prefix}/{company.id}/{n:07d}",
                partner.id,
                due - timedelta(days=terms),
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
        "amount_untaxed_in_currency_signed": f"{sign} * v.total",
        "amount_total_in_currency_signed": f"{sign} * v.total",
        "amount_untaxed_signed": f"round(v.total * {rate}, 2)",
        "amount_total_signed": f"round(v.total * {rate}, 2)",
        "amount_residual_signed": f"round(v.residual * {rate}, 2)",
    }
    select = ", ".join(overrides.get(col, f"t.{col}") for col in move_cols)
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
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
    # Each journal item keeps the side (sign) of the template's.
    side = "sign(tl.balance)"
    line_overrides = {
        "move_id": "m.id",
        "partner_id": "m.partner_id",
        "move_name": "m.name",
        "date": "m.date",
        "invoice_date": "m.invoice_date",
        "date_maturity": "CASE WHEN tl.date_maturity IS NULL THEN NULL ELSE m.invoice_date_due END",
        "debit": "CASE WHEN tl.debit > 0 THEN abs(m.amount_total_signed) ELSE 0 END",
        "credit": "CASE WHEN tl.credit > 0 THEN abs(m.amount_total_signed) ELSE 0 END",
        "balance": f"{side} * abs(m.amount_total_signed)",
        "amount_currency": f"{side} * m.amount_total",
        "price_unit": "m.amount_total",
        "price_subtotal": "m.amount_total",
        "price_total": "m.amount_total",
        "amount_residual": f"CASE WHEN tl.amount_residual <> 0 THEN {side} * abs(m.amount_residual_signed) ELSE 0 END",
        "amount_residual_currency": f"CASE WHEN tl.amount_residual_currency <> 0 THEN {side} * m.amount_residual ELSE 0 END",
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
