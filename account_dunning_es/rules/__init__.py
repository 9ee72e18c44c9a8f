# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The rules of the product in plain Python: no ORM, no database, no I/O.

Each module takes plain values (dates, amounts, tuples) and returns plain
values, so that it can be read next to the law it applies and tested without
a database. The models read the records, call these rules and write what they
return.

* ``engine``: which stage an invoice reaches, promise states, interest, the
  compensation of Ley 3/2004 art. 8;
* ``law``: late-payment and legal interest rates (Ley 3/2004 art. 7.2, the
  ECB's published rate), payment references, delivery proofs;
* ``court``: the negotiation attempt of Ley Orgánica 1/2025 and the monitorio
  (LEC art. 812 to 818);
* ``prediction``, ``worklist``, ``effectiveness``: the collector's forecast,
  ranking and the reports' figures;
* ``statement``: what the customer's statement page accepts (proofs, the
  per-address guessing limit);
* ``formatting``: amounts as the reader's language writes them.
"""
