# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Code that works below the ORM, where the ORM was measured to cost too much.

Each module's docstring says what it bypasses and why; everything else in the
add-on reads and writes through the ORM.

* ``sql_builders``: the SQL the ORM cannot express in one query (locks,
  advisory locks, aggregates over the ledger, the once-per-stage index);
* ``html_sanitizer``: email bodies sanitised in worker processes while the
  run goes on;
* ``batch_defaults``: defaults looked up once per batch of records created
  together;
* ``report_fonts``: fonts embedded in the letters' PDFs.
"""
