# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.1.3.0: consumers' interest is the legal interest of money of each year.

A policy that claimed a fixed consumer rate now claims the legal interest
of money from the rate table (kind 'legal').
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "dunning_policy", "consumer_interest_rate"):
        return
    cr.execute(
        SQL(
            "UPDATE dunning_policy SET consumer_legal_interest = TRUE"
            " WHERE consumer_interest_rate > 0"
        )
    )
