# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Odoo's report fonts as fonts that wkhtmltopdf embeds.

Odoo's reports use the company's font (Lato unless the document layout
says otherwise) as a web font: an @font-face rule with a URL. wkhtmltopdf
built against an unpatched Qt (Debian's, for one) cannot embed a web font
in a PDF and draws every glyph as a shape: a page takes about twenty times
longer to produce and weighs hundreds of kilobytes, and its text can be
neither selected, searched nor read back by a machine.

Odoo ships the same fonts as TrueType files (web/static/fonts). Offered to
wkhtmltopdf as system fonts (a fontconfig file that adds their folders to
the system's) and asked for with ``local()`` in @font-face rules placed
after Odoo's, they are embedded as fonts: the same glyphs, text as text.
Where a font cannot be found that way, wkhtmltopdf falls back to Odoo's web
font, as before. Nothing here touches the database.
"""

import functools
import hashlib
import logging
import os

from odoo.tools import config
from odoo.tools.misc import file_path

_logger = logging.getLogger(__name__)

# The fonts of res.company.font, as Odoo's fonts.scss names them in CSS:
# (family inside the TrueType files, their folder under web/static/fonts).
ODOO_FONTS = {
    "Lato": ("Lato", "lato"),
    "Roboto": ("Roboto", "google/Roboto"),
    "Open_Sans": ("Open Sans", "google/Open_Sans"),
    "Montserrat": ("Montserrat", "google/Montserrat"),
    "Oswald": ("Oswald", "google/Oswald"),
    "Raleway": ("Raleway", "google/Raleway"),
    "Tajawal": ("Tajawal", "google/Tajawal"),
    "Fira_Mono": ("Fira Mono", "google/Fira_Mono"),
}
# Odoo's Lato comes in these weights, upright and italic; fontconfig gives
# a family's nearest weight where a font has fewer.
WEIGHTS = (100, 300, 400, 700, 900)
STYLES = ("normal", "italic")
# The system's own configuration, which ours includes before adding folders.
SYSTEM_CONFIG = "/etc/fonts/fonts.conf"


@functools.cache
def font_folders():
    """{CSS family: (family, absolute folder)} of the fonts found on disk."""
    found = {}
    for css_family, (family, folder) in ODOO_FONTS.items():
        try:
            found[css_family] = (family, file_path(f"web/static/fonts/{folder}"))
        except FileNotFoundError:
            continue
    return found


def local_fonts_css(fonts):
    """A <style> asking for each font as installed (local()) rather than as
    the web font Odoo's stylesheet declares: being later, its rules win.

    :param fonts: {CSS family: (family inside the font files, folder)}
    """
    rules = [
        "@font-face{font-family:'%s';src:local('%s');font-weight:%d;font-style:%s}"
        % (css_family, family, weight, style)
        for css_family, (family, _folder) in sorted(fonts.items())
        for weight in WEIGHTS
        for style in STYLES
    ]
    return "<style>%s</style>" % "".join(rules) if rules else ""


def with_local_fonts(html, fonts=None):
    """The HTML document with local_fonts_css at the end of its head."""
    fonts = font_folders() if fonts is None else fonts
    html = str(html)  # Odoo's bodies are Markup, which would escape the rules
    index = html.find("</head>")
    if index < 0 or not fonts:
        return html
    return html[:index] + local_fonts_css(fonts) + html[index:]


def fontconfig_document(folders, cache_folder, system_config=SYSTEM_CONFIG):
    """A fontconfig file: the system's configuration, then these folders."""
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
        "<fontconfig>",
        f'  <include ignore_missing="yes">{system_config}</include>',
        *(f"  <dir>{folder}</dir>" for folder in folders),
        f"  <cachedir>{cache_folder}</cachedir>",
        "</fontconfig>",
    ]
    return "\n".join(lines) + "\n"


@functools.cache
def fontconfig_file():
    """Path of the fontconfig file that adds Odoo's fonts, written once per
    process in the server's data folder (None when no font was found)."""
    folders = sorted({folder for _family, folder in font_folders().values()})
    if not folders:
        return None
    system_config = os.environ.get("FONTCONFIG_FILE") or SYSTEM_CONFIG
    key = hashlib.sha256("\n".join([system_config, *folders]).encode()).hexdigest()[:12]
    target = os.path.join(config["data_dir"], "account_dunning_es", f"fonts-{key}")
    path = os.path.join(target, "fonts.conf")
    document = fontconfig_document(folders, os.path.join(target, "cache"), system_config)
    try:
        os.makedirs(target, exist_ok=True)
        # Written aside, then renamed: a wkhtmltopdf started meanwhile by
        # another worker reads the whole file or the former one, never half.
        partial = f"{path}.{os.getpid()}"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(document)
        os.replace(partial, path)
    except OSError as error:
        # PDFs still print, with Odoo's web fonts (text drawn as shapes).
        _logger.warning("Odoo's fonts not offered to wkhtmltopdf: %s", error)
        return None
    return path


def wkhtmltopdf_environment():
    """The environment for a wkhtmltopdf process that finds Odoo's fonts."""
    environment = dict(os.environ)
    path = fontconfig_file()
    if path:
        environment["FONTCONFIG_FILE"] = path
    return environment
