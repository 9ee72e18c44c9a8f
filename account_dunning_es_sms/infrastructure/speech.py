# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The spoken part of an automated call, synthesised on this server.

What it bypasses: Odoo has no speech. The voice is espeak-ng (Debian's
package, the same program on every Linux): it runs offline, speaks Spanish
and English, and needs no model downloaded from a hub at run time, which
this product's servers may not reach. Its voice is robotic; the company's
recorded greeting plays first (a WAV uploaded in the settings). Files are
kept by their text: a retried call plays the same file.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile

VOICES = {"es": "es", "en": "en-gb"}
# Words per minute: slower than espeak-ng's default, for a phone line.
SPEED = 145


class SpeechError(Exception):
    """The voice could not be synthesised."""


def available():
    return bool(shutil.which("espeak-ng"))


def folder():
    path = os.path.join(tempfile.gettempdir(), "account_dunning_es_ivr")
    os.makedirs(path, exist_ok=True)
    return path


def synthesize(text, lang="es"):
    """A WAV file (16-bit mono) saying ``text``; made once per text."""
    voice = VOICES.get(lang, "es")
    digest = hashlib.sha256(f"{voice}|{SPEED}|{text}".encode()).hexdigest()[:32]
    path = os.path.join(folder(), f"{digest}.wav")
    if os.path.exists(path):
        return path
    program = shutil.which("espeak-ng")
    if not program:
        raise SpeechError("espeak-ng is not installed")
    partial = f"{path}.{os.getpid()}.part"
    try:
        subprocess.run(
            [program, "-v", voice, "-s", str(SPEED), "-w", partial, "--", text],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise SpeechError(f"espeak-ng failed: {error}") from error
    os.replace(partial, path)
    return path


def store_greeting(data):
    """The company's greeting (WAV bytes) as a file; made once per content."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    path = os.path.join(folder(), f"greeting-{digest}.wav")
    if not os.path.exists(path):
        partial = f"{path}.{os.getpid()}.part"
        with open(partial, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    return path
