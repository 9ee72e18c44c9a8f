#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How long a batch of demand letters takes to render.

    python3 tests/benchmarks/bench_letters.py --letters 500

On the seeded ledger (built first if the database lacks it, see
common.ensure_ledger): the overdue invoices of N customers of the first company are placed just before their policy's first letter, one run
issues the letters, and the batch is rendered to HTML and to one PDF as a
user printing it gets it: the HTML rendered once, the letters joined into
one document per piece, one wkhtmltopdf process per piece and core
(--workers, default the machine's cores), merged in order. Styles come from
a server when --report-url points to one; without it the PDF is unstyled
but complete.
"""

import io
import os
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--letters", type=int, default=500)
    common.add_ledger_arguments(parser)
    parser.add_argument("--report-url", default="")
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument(
        "--per-letter-sample",
        type=int,
        default=50,
        help="also time the former way (one wkhtmltopdf call per letter) on this many letters",
    )
    args = parser.parse_args()
    common.ensure_database(args)
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api
    from odoo.tools.pdf import PdfFileReader

    today = date.fromisoformat(args.date)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        common.ensure_ledger(env, args, today)
        if args.report_url:
            env["ir.config_parameter"].set_param("report.url", args.report_url)
        env["ir.config_parameter"].set_param(
            "account_dunning_es.pdf_workers", str(args.workers or os.cpu_count())
        )
        Move = env["account.move"]
        overdue = Move.search(
            Move._dunning_open_domain(env.company, today) + [("invoice_date_due", "<", today)]
        )
        partners = overdue.commercial_partner_id[: args.letters]
        moves = overdue.filtered(lambda m: m.commercial_partner_id in partners)
        # Just before the first letter of each customer's policy.
        for partner in partners:
            policy = partner._dunning_policy(env.company)
            letter_stage = policy.stage_ids.filtered("send_letter")[:1]
            before = policy.stage_ids.filtered(lambda s, ls=letter_stage: s.sequence < ls.sequence)[
                -1:
            ]
            moves.filtered(lambda m, p=partner: m.commercial_partner_id == p)._dunning_write(
                {"dunning_stage_id": before.id, "dunning_last_date": date(2026, 1, 1)}
            )
        env["dunning.communication.line"].search(
            [("move_id", "in", moves.ids)]
        ).communication_id.unlink()
        run = env["dunning.run"].create({"date": today, "preview": False})
        common.execute_committed(run, move_ids=moves.ids)
        letters = run.communication_ids.filtered(lambda c: c.channel == "letter")
        print(
            f"{len(letters)} letters for {len(partners)} customers, "
            f"{len(letters.line_ids)} invoices listed"
        )
        report = env.ref("account_dunning_es.action_report_dunning_letter")
        started = time.perf_counter()
        html = report._render_qweb_html(report, letters.ids)[0]
        seconds = time.perf_counter() - started
        print(
            f"HTML of the batch: {seconds:.1f} s ({seconds / len(letters) * 1000:.0f} ms a letter), "
            f"{len(html) / 2**20:.1f} MiB"
        )
        started = time.perf_counter()
        pdf, _type = report._render_qweb_pdf(report, res_ids=letters.ids)
        seconds = time.perf_counter() - started
        pages = PdfFileReader(io.BytesIO(pdf)).getNumPages()
        workers = env["ir.actions.report"]._dunning_workers()
        print(
            f"PDF of the batch: {seconds:.1f} s ({seconds / len(letters):.2f} s a letter, "
            f"{workers} wkhtmltopdf processes), {pages} pages, {len(pdf) / 2**20:.1f} MiB"
        )
        if args.per_letter_sample:
            sample = letters[: args.per_letter_sample]
            started = time.perf_counter()
            report.with_context(dunning_store_each=True)._render_qweb_pdf(
                report, res_ids=sample.ids
            )
            seconds = time.perf_counter() - started
            print(
                f"Former way, one wkhtmltopdf call per letter, {len(sample)} letters: "
                f"{seconds:.1f} s ({seconds / len(sample):.2f} s a letter; "
                f"{seconds / len(sample) * len(letters):.0f} s for the batch)"
            )
        cr.rollback()


if __name__ == "__main__":
    main()
