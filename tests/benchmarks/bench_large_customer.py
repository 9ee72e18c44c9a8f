#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One customer with thousands of open invoices: one communication, a letter that renders.

    python3 tests/benchmarks/bench_large_customer.py --invoices 5000

The invoices are placed just before the first demand letter of the SME
policy, so that the run issues the letter stage (email and letter); the
letter is then rendered to HTML and to PDF and the figures printed.
"""

import io
import os
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import ledger  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.set_defaults(db="dunning_bench_large")
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--date", default="2026-06-15")
    args = parser.parse_args()
    common.ensure_database(args)
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api
    from odoo.tools.pdf import PdfFileReader

    today = date.fromisoformat(args.date)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if not env["account.move"].search_count([("name", "=like", "BIG/%")]):
            partner = ledger.create_customers(env, 1, prefix="Big")
            partner.dunning_segment_id = env.ref("account_dunning_es.dunning_segment_sme")
            ledger.create_invoices(env, partner, args.invoices, today, args.invoices, prefix="BIG")
            cr.commit()
        call = env.ref("account_dunning_es.dunning_stage_sme_3")
        cr.execute("DELETE FROM dunning_communication")
        cr.execute(
            "UPDATE account_move SET dunning_stage_id = %s, dunning_last_date = %s "
            "WHERE name LIKE 'BIG/%%'",
            (call.id, date(2026, 1, 1)),
        )
        cr.commit()
        env.invalidate_all()
        run = env["dunning.run"].create({"date": today, "preview": False})
        with common.measure(f"dunning run, one customer with {args.invoices} invoices"):
            common.execute_committed(run)
        comms = run.communication_ids
        print(
            f"  {len(comms)} communications: "
            + ", ".join(f"{c.channel} ({c.invoice_count} invoices, {c.state})" for c in comms)
        )
        letter = comms.filtered(lambda c: c.channel == "letter")
        report = env.ref("account_dunning_es.action_report_dunning_letter")
        started = time.perf_counter()
        html = report._render_qweb_html(report, letter.ids)[0]
        print(f"letter HTML: {time.perf_counter() - started:.1f} s, {len(html) / 2**20:.1f} MiB")
        started = time.perf_counter()
        pdf, _type = report._render_qweb_pdf(report, res_ids=letter.ids)
        pages = PdfFileReader(io.BytesIO(pdf)).getNumPages()
        print(
            f"letter PDF: {time.perf_counter() - started:.1f} s, {pages} pages, "
            f"{len(pdf) / 2**20:.1f} MiB"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
