# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.1.2.0: a run's log is kept as entries read in the reader's language.

The text logs of older runs (in the language of whoever ran them) become
one entry each, shown as they were.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "dunning_run", "log"):
        return
    cr.execute(
        SQL(
            "UPDATE dunning_run SET log_entries = jsonb_build_array(jsonb_build_object('text', log))"
            " WHERE log IS NOT NULL AND log_entries IS NULL"
        )
    )
