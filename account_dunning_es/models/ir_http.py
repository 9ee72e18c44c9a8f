# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.http import request

from ..rules.statement import LinkNotValid, TooManyGuesses, best_language


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        # A statement link that opens no customer gets a page of its own in
        # the visitor's language, not Odoo's 404 that offers to log in.
        if isinstance(exception, LinkNotValid):
            return cls._dunning_link_not_valid()
        if isinstance(exception, TooManyGuesses):
            return request.make_response(
                "Too many attempts from your address: try again later.",
                status=429,
                headers=[
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Retry-After", str(exception.retry_after)),
                ],
            )
        return super()._handle_error(exception)

    @classmethod
    def _dunning_link_not_valid(cls):
        """A revoked or mistyped statement link: a page in the visitor's
        language (from its browser) with the company's public contact, and no
        customer data."""
        installed = [code for code, _name in request.env["res.lang"].get_installed()]
        accepted = [tag for tag, _quality in request.httprequest.accept_languages]
        lang = best_language(accepted, installed, request.env.lang or "en_US")
        env = request.env(context=dict(request.env.context, lang=lang))
        company = env.user.sudo().company_id
        html = env["ir.ui.view"]._render_template(
            "account_dunning_es.portal_dunning_link_not_valid",
            {
                "company": company,
                "title": env._("%(company)s · Link not valid", company=company.name),
                "html_data": {"lang": lang.replace("_", "-")},
            },
        )
        return request.make_response(
            html, status=404, headers=[("Content-Type", "text/html; charset=utf-8")]
        )
