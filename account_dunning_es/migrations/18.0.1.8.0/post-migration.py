# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The invoices' dunning stage is no longer indexed (see the field in
models/account_move.py): Odoo keeps an index a field no longer asks for, so
it is dropped here."""

from odoo.tools import sql

INDEX = "account_move__dunning_stage_id_index"


def migrate(cr, version):
    sql.drop_index(cr, INDEX, "account_move")
