#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a manager and a collector wait for on a large ledger, after its run.

    python3 tests/benchmarks/bench_screens.py --db dunning_bench_1m

On a database where bench_dunning_run.py has run (the 1,000,000-move one,
say): the management figures of the year before --date (by contact method)
and the analysis view grouped by month and method; the worklist rebuilt by
the daily job, then opened as its list (first page, as the web client asks
it) and counted.

The seeded ledger gives the worklist nothing to show (no activity, promise,
dispute nor failure), so --reasons (a share of the customers contacted on
--date, 1 % by default; 0 to leave the database as it is) gives that many
customers of each company each reason, once per database: a call due, a
promise due that day, a promise broken, an invoice disputed, a reminder
that failed, a hand-over. The worklist is then rebuilt on --date, as the
daily job and a collector's Refresh do, and opened.
"""

import os
import random
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

SEEDED_KEY = "dunning_benchmark.worklist_reasons"


def seed_reasons(env, companies, today, share, seed=1):
    """Give ``share`` of each company's customers contacted on ``today``
    each reason to be on the worklist (see the module's docstring)."""
    from odoo import Command

    params = env["ir.config_parameter"].sudo()
    if params.get_param(SEEDED_KEY) == f"{today}/{share}":
        print("worklist reasons already seeded")
        return
    rng = random.Random(seed)
    call = env.ref("mail.mail_activity_data_call")
    partner_model = env["ir.model"]._get_id("res.partner")
    counts = dict.fromkeys(("activity", "promise", "broken", "dispute", "failed", "handover"), 0)
    for company in companies:
        comms = env["dunning.communication"].search_read(
            [("company_id", "=", company.id), ("date", "=", today), ("state", "=", "sent")],
            ["partner_id", "line_ids"],
            load=None,
        )
        by_partner = {comm["partner_id"]: comm for comm in comms}
        size = max(1, int(len(by_partner) * share))
        picked = rng.sample(sorted(by_partner), min(len(by_partner), 6 * size))
        groups = [picked[i * size : (i + 1) * size] for i in range(6)]
        activity, promise, broken, dispute, failed, handover = groups
        env["mail.activity"].create(
            [
                {
                    "res_model_id": partner_model,
                    "res_id": pid,
                    "activity_type_id": call.id,
                    "date_deadline": today,
                    "summary": "Call about the overdue invoices",
                    "user_id": env.uid,
                }
                for pid in activity
            ]
        )
        lines = env["dunning.communication.line"].browse(
            [by_partner[pid]["line_ids"][0] for pid in promise + broken]
        )
        promises = env["dunning.promise"].create(
            [
                {
                    "company_id": company.id,
                    "partner_id": line.communication_id.partner_id.id,
                    "move_ids": [Command.set(line.move_id.ids)],
                    "amount": line.move_id.amount_residual,
                    "date_promised": today - timedelta(days=14),
                    "instalment_ids": [
                        Command.create({"date": today, "amount": line.move_id.amount_residual})
                    ],
                }
                for line in lines
            ]
        )
        env.cr.execute(
            "UPDATE dunning_promise SET state = 'broken', broken_date = %s WHERE id IN %s",
            [today, tuple(promises[len(promise) :].ids) or (None,)],
        )
        disputed = env["dunning.communication.line"].browse(
            [by_partner[pid]["line_ids"][0] for pid in dispute]
        )
        env.cr.execute(
            "UPDATE account_move SET dunning_reason = 'dispute', dunning_reason_date = %s"
            " WHERE id IN %s",
            [today, tuple(disputed.move_id.ids) or (None,)],
        )
        for state, channel, pids in (("failed", None, failed), ("sent", "agency", handover)):
            env.cr.execute(
                "UPDATE dunning_communication SET state = %s, channel = COALESCE(%s, channel)"
                " WHERE id IN %s",
                [state, channel, tuple(by_partner[pid]["id"] for pid in pids) or (None,)],
            )
        for key, pids in zip(counts, groups, strict=True):
            counts[key] += len(pids)
    env.invalidate_all()
    params.set_param(SEEDED_KEY, f"{today}/{share}")
    env.cr.commit()
    print("worklist reasons seeded: " + ", ".join(f"{n} {key}" for key, n in counts.items()))


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--date", default="2026-06-15")
    parser.add_argument("--reasons", type=float, default=0.01)
    args = parser.parse_args()
    registry = common.open_registry(args)
    from freezegun import freeze_time

    from odoo import SUPERUSER_ID, api

    end = date.fromisoformat(args.date)
    start = end - timedelta(days=364)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        companies = common.ledger_companies(env)
        print(
            f"{env['account.move'].search_count([('move_type', '=', 'out_invoice')])} invoices, "
            f"{env['dunning.communication'].search_count([])} communications"
        )
        with common.measure("management figures of the year (by contact method)"):
            env["dunning.effectiveness"]._compute(start, end, companies, 30, "channel")
        wizard = env["dunning.report.wizard"].create(
            {"date_from": start, "date_to": end, "company_ids": [(6, 0, companies.ids)]}
        )
        for dimension in ("segment", "collector"):
            wizard.dimension = dimension
            with common.measure(f"management report of the year as XLSX (by {dimension})"):
                wizard.action_export_xlsx()
        with common.measure("analysis view, grouped by month and method"):
            env["dunning.effectiveness.report"]._read_group(
                [("date", ">=", start), ("date", "<=", end)],
                ["date:month", "channel"],
                ["__count"],
            )
        Worklist = env["dunning.worklist"]
        if args.reasons:
            with common.measure("worklist reasons seeded"), freeze_time(args.date):
                seed_reasons(env, companies, end, args.reasons)
        with common.measure("worklist rebuilt (daily job, both companies)"), freeze_time(args.date):
            Worklist._cron_rebuild()
        cr.commit()
        env.invalidate_all()
        with (
            common.measure("worklist refreshed by a collector (main company)"),
            freeze_time(args.date),
        ):
            Worklist.with_company(companies[0])._rebuild(companies[0])
        cr.commit()
        env.invalidate_all()
        for company in companies:
            worklist = Worklist.with_company(company).with_context(allowed_company_ids=company.ids)
            with common.measure(f"worklist opened ({company.name}: first 80 rows and count)"):
                worklist.web_search_read(
                    [("company_id", "=", company.id)],
                    {"partner_id": {"fields": {"display_name": {}}}, "score": {}},
                    limit=80,
                    count_limit=10001,
                )
                count = worklist.search_count([("company_id", "=", company.id)])
            print(f"  {count} customers on the worklist")


if __name__ == "__main__":
    main()
