# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The add-on now ships the legal interest of money of 2024 and 2025. A
database where someone already recorded either year keeps its record: it is
given the shipped record's identifier, so that loading the data creates no
second, overlapping rate."""

SHIPPED = {
    "legal_interest_2024": ("2024-01-01", "2024-12-31"),
    "legal_interest_2025": ("2025-01-01", "2025-12-31"),
}


def migrate(cr, version):
    for xmlid, (start, end) in SHIPPED.items():
        cr.execute(
            "SELECT 1 FROM ir_model_data WHERE module = 'account_dunning_es' AND name = %s",
            [xmlid],
        )
        if cr.fetchone():
            continue
        cr.execute(
            """
            SELECT id FROM dunning_interest_rate
             WHERE kind = 'legal' AND date_start <= %s AND date_end >= %s
             ORDER BY id LIMIT 1
            """,
            [end, start],
        )
        row = cr.fetchone()
        if row:
            cr.execute(
                """
                INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
                VALUES ('account_dunning_es', %s, 'dunning.interest.rate', %s, true)
                """,
                [xmlid, row[0]],
            )
