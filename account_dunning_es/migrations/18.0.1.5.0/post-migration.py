# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The shipped final-letter stages of the SME, large and mass policies
withdraw credit (their data is not updated on upgrade)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for policy in ("large", "sme", "mass"):
        stage = env.ref(f"account_dunning_es.dunning_stage_{policy}_6", raise_if_not_found=False)
        if stage:
            stage.credit_hold = True
