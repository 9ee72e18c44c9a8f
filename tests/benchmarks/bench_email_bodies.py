#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The email bodies of a run rendered by Odoo's path and by ours, alternately.

    python3 tests/benchmarks/bench_email_bodies.py --db dunning_bench50k

On a database where bench_dunning_run.py has run: the communications emailed
on --date (9,138 on the 50,000-move ledger) have their bodies rendered again,
in chunks of 100 per language as the run does, by

- Odoo's ``mail.render.mixin._render_template(engine="qweb_view")``, which
  calls ``ir.qweb._render`` (environment prepared, compiled view looked up)
  for each email: how the run rendered them before 85a7fce (night of 2026-12-02);
- the run's ``_render_view``: prepared and compiled once per chunk, the
  compiled view called for each email;

each --repeat times, alternating, the best time of each printed (this kind of
machine varies by a third from one minute to the next: a whole run cannot
tell a few per cent apart, the best of several short ones can). The HTML of
both is compared: the benchmark stops if one email differs.
"""

import os
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--date", default="2026-06-15")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=100)
    args = parser.parse_args()
    common.machine_speed()
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api
    from odoo.addons.account_dunning_es.models.dunning_communication_issue import (
        fast_formatters,
        sole_t_call,
    )
    from odoo.tools import split_every

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        comms = env["dunning.communication"].search(
            [("date", "=", date.fromisoformat(args.date)), ("channel", "=", "email")]
        )
        if not comms:
            sys.exit(f"No email on {args.date}: run bench_dunning_run.py on {args.db} first.")
        template = env.ref("account_dunning_es.mail_template_dunning_reminder")
        view = sole_t_call(template.body_html)[1]
        model = template.render_model
        by_lang = template._classify_per_lang(comms.ids)
        comms.line_ids.move_id.mapped("name")

        def odoo_path(template_lang, chunk, formatters):
            return template_lang._render_template(
                view, model, chunk, engine="qweb_view", add_context=formatters
            )

        def our_path(template_lang, chunk, formatters):
            return comms._render_view(template_lang, view, model, chunk, formatters)

        def render_all(render):
            bodies = {}
            started = time.perf_counter()
            for template_lang, res_ids in by_lang.values():
                formatters = fast_formatters(
                    template_lang._render_eval_context(), template_lang.env
                )
                for chunk in split_every(args.chunk, res_ids, list):
                    bodies.update(render(template_lang, chunk, formatters))
            return time.perf_counter() - started, bodies

        best = {"odoo": float("inf"), "ours": float("inf")}
        for _round in range(args.repeat):
            seconds, odoo_bodies = render_all(odoo_path)
            best["odoo"] = min(best["odoo"], seconds)
            seconds, our_bodies = render_all(our_path)
            best["ours"] = min(best["ours"], seconds)
            different = [i for i in odoo_bodies if str(odoo_bodies[i]) != str(our_bodies.get(i))]
            if different or len(odoo_bodies) != len(our_bodies):
                sys.exit(f"{len(different)} bodies differ, {different[:5]} first")
        print(
            f"{len(comms)} email bodies in {len(by_lang)} languages, best of {args.repeat}: "
            f"Odoo's qweb_view path {best['odoo']:.2f} s, ours {best['ours']:.2f} s "
            f"({100 * (1 - best['ours'] / best['odoo']):.0f} % less), the same HTML"
        )


if __name__ == "__main__":
    main()
