# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the phone channels do outside Odoo: ``sip_dialler`` places automated
calls through PJSIP, ``speech`` synthesises their voice with espeak-ng. Each
module's docstring says what it bypasses and why."""
