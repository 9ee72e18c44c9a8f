# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The phone channels' rules in plain Python, no ORM: numbers and allowed
hours (``phone``), what an automated call says and what its keys mean
(``ivr``)."""
