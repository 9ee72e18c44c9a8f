# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
# Read by `odoo shell` (tests/demo.sh): run today's dunning job as the
# scheduled action does, commit, and print what it did.
from collections import Counter

Run = env["dunning.run"]  # noqa: F821 (odoo shell's env)
before = Run.search([]).ids
# As Odoo's scheduler does: one batch a call, committed, until none remains.
cron = env.ref("account_dunning_es.ir_cron_dunning_run")  # noqa: F821
for _call in range(1000):
    cron.method_direct_trigger()
    env.cr.commit()  # noqa: F821
    progress = env["ir.cron.progress"].search(  # noqa: F821
        [("cron_id", "=", cron.id)], order="id desc", limit=1
    )
    if not progress.remaining:
        break

runs = Run.search([("id", "not in", before)])
print(f"Runs today: {len(runs)}")
for run in runs:
    print(
        f"  {run.display_name} ({run.company_id.name}): {run.state}, "
        f"{run.partner_done} customers reviewed, {run.communication_count} communications"
    )
comms = runs.communication_ids
channels = dict(comms._fields["channel"]._description_selection(env))  # noqa: F821
states = dict(comms._fields["state"]._description_selection(env))  # noqa: F821
print("Communications by channel:")
for (channel, state), count in sorted(Counter((c.channel, c.state) for c in comms).items()):
    print(f"  {channels[channel]:<28} {states[state]:<12} {count}")
failed = comms.filtered(lambda c: c.state == "failed")
print(f"Failures: {len(failed)}")
for comm in failed:
    print(f"  {comm.name} {comm.partner_id.name} ({channels[comm.channel]}): {comm.failure_reason}")
history = env["dunning.communication"].search([])  # noqa: F821
print(f"History in the database (the demo replays the last months): {len(history)} communications")
for channel, count in sorted(Counter(history.mapped("channel")).items()):
    print(f"  {channels[channel]:<28} {count}")

# The customers' statement pages: Odoo's demo payment provider enabled in the
# demo's Spanish company (payment_demo is installed with the demo), and the
# link of one customer to open without logging in.
company = env.ref("account_dunning_es.demo_company_es", raise_if_not_found=False)  # noqa: F821
demo = env.ref("payment.payment_provider_demo", raise_if_not_found=False)  # noqa: F821
if company and demo:
    Provider = env["payment.provider"].sudo().with_context(active_test=False)  # noqa: F821
    provider = Provider.search([("code", "=", "demo"), ("company_id", "=", company.id)], limit=1)
    provider = provider or demo.sudo().copy({"company_id": company.id, "name": "Demo"})
    provider.write({"state": "test", "is_published": True})
    env.cr.commit()  # noqa: F821
customer = env["res.partner"].search(  # noqa: F821
    [("name", "=", "Talleres Martínez SL")], limit=1
)
if customer:
    print(f"Statement page of {customer.name} (no login): {customer._dunning_statement_url()}")
    env.cr.commit()  # noqa: F821
