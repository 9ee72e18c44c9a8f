#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Our dunning run against OCA's account_credit_control on the same ledger.

    python3 tests/benchmarks/bench_compare_oca.py --extra-addons /path/to/oca_addons

OCA's add-on (odoo-addon-account-credit-control 18.0 from PyPI, unpacked in
an addons folder of its own: it is no dependency of this product) is
installed in this benchmark's own database only. Both tools work on the same
seeded ledger (two companies, foreign currency, credit notes) for the same
dates, in one process, each company in turn:

- day 1, the first run over the ledger, where every overdue invoice reaches
  a stage: our review run (decide and record, send nothing: the same work as
  OCA's line generation), then our full run (also renders and queues the
  emails, creates the activities), against OCA generating its credit
  control lines with its shipped three-level policy, then sending them as
  an accountant does in its screens: mark the lines "To Do" (its marker
  wizard) and email the email lines (its emailer wizard: one communication
  per customer and level, posted with the level's template). OCA's
  template attaches a PDF summary to every email (wkhtmltopdf, about a
  second each): left out here, as our emails carry no PDF, so that both
  render and queue the same kind of email;
- day 2, the daily job in its steady state: the next day, over what day 1
  left, our review run then the sending of its drafts (as an accountant who
  reviews before sending does it), against OCA's generation, then its
  sending as above.

Printed: time, SQL queries, peak memory and what each produced, and ratios.
"""

import os
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.set_defaults(db="dunning_bench_oca", modules="account_dunning_es,account_credit_control")
    common.add_ledger_arguments(parser)
    args = parser.parse_args()
    common.ensure_database(args)
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, Command, api

    today = date.fromisoformat(args.date)
    tomorrow = today + timedelta(days=1)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        common.ensure_ledger(env, args, today)
        common.reset_dunning(env)
        cr.execute("DELETE FROM credit_control_line")
        cr.execute("DELETE FROM credit_control_run")
        companies = common.ledger_companies(env)
        companies.dunning_batch_size = 500
        policy = env.ref("account_credit_control.credit_control_3_time")
        receivables = env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", companies.ids)]
        )
        policy.account_ids = [Command.set(receivables.ids)]
        companies.credit_policy_id = policy
        # No PDF attached to OCA's emails (ours attach none): see the docstring.
        policy.level_ids.email_template_id.report_template_ids = False
        cr.commit()
        env.invalidate_all()

        def oca_generate(on_date):
            runs = env["credit.control.run"]
            for company in companies:
                runs |= runs.with_company(company).create(
                    {
                        "date": on_date,
                        "company_id": company.id,
                        "policy_ids": [Command.set(policy.ids)],
                    }
                )
            common.analyze(cr)
            with common.measure(f"account_credit_control: generate credit lines, {on_date}") as oca:
                for run in runs:
                    started = time.perf_counter()
                    run.with_company(run.company_id).generate_credit_lines()
                    cr.commit()
                    print(f"  [{run.company_id.name}] {time.perf_counter() - started:.1f} s")
            lines = env["credit.control.line"].search_count([("run_id", "in", runs.ids)])
            print(f"  {lines} credit control lines")
            return oca, runs

        def oca_send(runs):
            lines = env["credit.control.line"].search(
                [("run_id", "in", runs.ids), ("state", "=", "draft")]
            )
            common.analyze(cr)
            with common.measure("account_credit_control: mark To Do, email the email lines") as oca:
                for company in companies:
                    started = time.perf_counter()
                    mine = lines.filtered(lambda line, company=company: line.company_id == company)
                    env["credit.control.marker"].with_company(company)._mark_lines(
                        mine, "to_be_sent"
                    )
                    # Queued, as ours are: no sending at commit.
                    emailer = (
                        env["credit.control.emailer"]
                        .with_company(company)
                        .with_context(mail_notify_force_send=False)
                        .create(
                            {
                                "line_ids": [
                                    Command.set(
                                        mine.filtered(lambda line: line.channel == "email").ids
                                    )
                                ]
                            }
                        )
                    )
                    comms = emailer._send_emails()
                    cr.commit()
                    print(
                        f"  [{company.name}] {time.perf_counter() - started:.1f} s, "
                        f"{len(comms)} emails"
                    )
            return oca

        def ours(label, on_date, preview):
            runs = common.create_runs(env, on_date, preview=preview, origin="cron")
            with common.measure(f"account_dunning_es: {label}, {on_date}") as figures:
                for run in runs:
                    started = time.perf_counter()
                    common.execute_runs(run)
                    print(f"  [{run.company_id.name}] {time.perf_counter() - started:.1f} s")
            print(
                f"  {sum(runs.mapped('communication_count'))} communications for "
                f"{sum(runs.mapped('partner_done'))} customers"
            )
            return figures, runs

        def ours_send(runs):
            common.analyze(cr)
            with common.measure("account_dunning_es: send the reviewed drafts") as figures:
                for run in runs:
                    started = time.perf_counter()
                    run.with_company(run.company_id).action_send_drafts()
                    cr.commit()
                    print(
                        f"  [{run.company_id.name}] {time.perf_counter() - started:.1f} s, "
                        f"{run.sent_count} sent"
                    )
            return figures

        def against_full_run(oca, oca_sent, full):
            """OCA's generation, then generation and sending, against our full run."""
            total = oca["seconds"] + oca_sent["seconds"]
            queries = oca["queries"] + oca_sent["queries"]
            return (
                f"OCA generation / our full run: time {oca['seconds'] / full['seconds']:.1f}x, "
                f"queries {oca['queries'] / max(full['queries'], 1):.1f}x; "
                f"OCA generation and emails ({total:.1f} s) / our full run: time "
                f"{total / full['seconds']:.1f}x, queries {queries / max(full['queries'], 1):.1f}x"
            )

        print(f"== Day 1: first run over the ledger, {len(companies)} companies")
        review, _runs = ours("review run (decide and record)", today, preview=True)
        common.reset_dunning(env)
        full, _runs = ours("full run (decide, record, render and queue)", today, preview=False)
        oca, oca_runs = oca_generate(today)
        oca_sent = oca_send(oca_runs)
        print(
            f"ratio OCA generation / our review run: time "
            f"{oca['seconds'] / review['seconds']:.1f}x, "
            f"queries {oca['queries'] / max(review['queries'], 1):.1f}x, "
            f"peak RSS {oca['rss_mib']:.0f} / {review['rss_mib']:.0f} MiB; "
            + against_full_run(oca, oca_sent, full)
        )
        print("== Day 2: the daily job the next day (steady state)")
        review_2, runs_2 = ours("review run (decide and record)", tomorrow, preview=True)
        sent_2 = ours_send(runs_2)
        full_2 = {key: review_2[key] + sent_2[key] for key in ("seconds", "queries")}
        print(f"  review and sending: {full_2['seconds']:.1f} s, {full_2['queries']} SQL queries")
        oca_2, oca_runs_2 = oca_generate(tomorrow)
        oca_sent_2 = oca_send(oca_runs_2)
        print(
            f"ratio OCA generation / our review run: time "
            f"{oca_2['seconds'] / review_2['seconds']:.1f}x, "
            f"queries {oca_2['queries'] / max(review_2['queries'], 1):.1f}x; "
            + against_full_run(oca_2, oca_sent_2, full_2).replace("full run", "review and sending")
        )


if __name__ == "__main__":
    main()
