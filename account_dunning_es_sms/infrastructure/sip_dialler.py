# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Automated calls over SIP through the company's own PBX or SIP trunk.

What it bypasses: Odoo has no telephony. This module is the product's only
SIP/RTP code, and it is not ours: PJSIP's user agent (pjsua2, the Python
bindings of pjproject), which does the SIP signalling, digest
authentication, RTP, codecs and RFC 4733 keypad events. Nothing here touches
the database: the caller gives plain requests and gets plain results.

PJSIP allows one endpoint per process; it is created on first use, with no
sound device (the null device: audio goes from files to the call only), and
polled by the thread that places the calls (no threads of PJSIP's own).
Sessions are serialised by a lock. Each session creates the company's SIP
account (registered with the PBX when a user is set, else calling the PBX
directly, as an IP-authenticated trunk does), places up to ``max_calls``
calls at once, plays each call's message, listens for keys and hangs up.
"""

import logging
import threading
import time
import wave
from collections import namedtuple

from ..rules.ivr import ANSWER_KEYS, KEY_REPEAT

_logger = logging.getLogger(__name__)

try:  # an optional dependency: the channel says so when it is missing
    import pjsua2 as pj
except ImportError:  # pragma: no cover - tested through ``available()``
    pj = None

# host: the PBX or trunk, "host[:port]"; user/password: its SIP account (no
# registration without a user); caller_id: the number or name shown; proxy:
# an outbound proxy, "host[:port]"; ring_seconds: how long to let it ring;
# listen_seconds: how long to wait for a key after the menu.
Settings = namedtuple(
    "Settings",
    "host user password caller_id proxy max_calls ring_seconds listen_seconds bind_port",
    defaults=("", "", "", "", 2, 30, 8, 0),
)
# key: the caller's own reference; audio: WAV files played in order (the
# message and its menu); thanks: the WAV played after an answer key.
CallRequest = namedtuple("CallRequest", "key number audio thanks")
# answered: the customer picked up; keys: pressed, in order; duration: seconds
# from pick-up to hang-up; heard: seconds of message played; sip_code: the
# final SIP status when not answered; reason: why it failed, in English, for
# the log (the channel translates the outcome).
CallResult = namedtuple("CallResult", "key answered keys duration heard sip_code dropped reason")

# No call lasts longer than this, whatever happens.
MAX_CALL_SECONDS = 600


class DiallerError(Exception):
    """The PBX could not be used at all (unreachable, credentials refused)."""


def available():
    """Whether PJSIP's Python bindings are installed."""
    return pj is not None


def wav_seconds(path):
    """Length of a WAV file in seconds."""
    with wave.open(path, "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


_lock = threading.Lock()
_endpoint = None


def _get_endpoint(bind_port=0):
    """The process's PJSIP endpoint, created once."""
    global _endpoint  # noqa: PLW0603 - one endpoint per process, as PJSIP allows
    if _endpoint is None:
        ep = pj.Endpoint()
        ep.libCreate()
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = False
        config.uaConfig.maxCalls = 32
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.medConfig.noVad = True
        ep.libInit(config)
        transport = pj.TransportConfig()
        transport.port = bind_port
        ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        ep.libStart()
        ep.audDevManager().setNullDev()
        _endpoint = ep
    elif not _endpoint.libIsThreadRegistered():
        _endpoint.libRegisterThread(threading.current_thread().name)
    return _endpoint


def _uri(number, host):
    return f"sip:{number}@{host}"


if pj is not None:

    class _Player(pj.AudioMediaPlayer):
        def __init__(self, call):
            super().__init__()
            self.call = call

        def onEof2(self):  # noqa: N802 - PJSIP's name
            self.call.eof = True

    class _Account(pj.Account):
        def __init__(self):
            super().__init__()
            self.reg_code = None

        def onRegState(self, prm):  # noqa: N802 - PJSIP's name
            self.reg_code = prm.code

    class _Call(pj.Call):
        """One automated call and what happened in it."""

        def __init__(self, account, request):
            super().__init__(account)
            self.request = request
            self.state = None
            self.sip_code = None
            self.started = time.monotonic()
            self.answered_at = None
            self.ended_at = None
            self.media = None
            self.keys = []
            self.players = []
            self.playing_since = None
            self.heard = 0.0
            self.eof = False
            self.eof_at = None
            self.thanking = False
            self.hung_up = False
            self.responded = False
            self.message_seconds = sum(wav_seconds(path) for path in request.audio)

        def onCallState(self, prm):  # noqa: N802 - PJSIP's name
            info = self.getInfo()
            self.state = info.state
            # The far end is there once it rings, answers, or gives a final
            # answer of its own (not the timeout or the cancel of ours).
            if info.state in (
                pj.PJSIP_INV_STATE_EARLY,
                pj.PJSIP_INV_STATE_CONNECTING,
                pj.PJSIP_INV_STATE_CONFIRMED,
            ) or (
                info.state == pj.PJSIP_INV_STATE_DISCONNECTED
                and info.lastStatusCode not in (408, 487)
            ):
                self.responded = True
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.answered_at:
                self.answered_at = time.monotonic()
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self.sip_code = info.lastStatusCode
                self.ended_at = time.monotonic()

        def onCallMediaState(self, prm):  # noqa: N802 - PJSIP's name
            info = self.getInfo()
            for index, media in enumerate(info.media):
                if (
                    media.type == pj.PJMEDIA_TYPE_AUDIO
                    and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                    and self.media is None
                ):
                    self.media = self.getAudioMedia(index)

        def onDtmfDigit(self, prm):  # noqa: N802 - PJSIP's name
            self.keys.append(prm.digit)

        # -- driven from the polling loop, never from a callback --
        def play(self, files):
            self._stop_playing()
            player = _Player(self)
            if len(files) == 1:
                player.createPlayer(files[0], pj.PJMEDIA_FILE_NO_LOOP)
            else:
                player.createPlaylist(files, "ivr", pj.PJMEDIA_FILE_NO_LOOP)
            player.startTransmit(self.media)
            self.players.append(player)
            self.playing_since = time.monotonic()
            self.eof = False
            self.eof_at = None

        def _stop_playing(self):
            if self.playing_since is not None and not self.thanking:
                self.heard += time.monotonic() - self.playing_since
            self.playing_since = None
            for player in self.players:
                try:
                    player.stopTransmit(self.media)
                except pj.Error as error:  # the call's media is already gone
                    _logger.debug("Stop playing: %s", error.info())

        def hang_up(self):
            if self.hung_up:
                return
            self.hung_up = True
            self._stop_playing()
            try:
                self.hangup(pj.CallOpParam(True))
            except pj.Error as error:  # already gone
                _logger.debug("Hang-up: %s", error.info())

        def step(self, settings, handled):
            """Advance the call's script; True once it is over."""
            now = time.monotonic()
            if self.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._stop_playing()
                return True
            if self.answered_at is None:
                if now - self.started > settings.ring_seconds:
                    self.hang_up()
                return False
            if now - self.answered_at > MAX_CALL_SECONDS:
                self.hang_up()
                return False
            if self.media is None or self.hung_up:
                return False
            if not self.players:
                self.play(self.request.audio)
                return False
            new_keys = self.keys[handled[0] :]
            handled[0] = len(self.keys)
            for key in new_keys:
                if self.thanking:
                    break
                if key in ANSWER_KEYS:
                    self._stop_playing()
                    self.thanking = True
                    self.play([self.request.thanks])
                    return False
                if key == KEY_REPEAT:
                    self.play(self.request.audio)
                    return False
            if self.eof and self.eof_at is None:
                self.eof_at = now
                if not self.thanking and self.playing_since is not None:
                    self.heard += now - self.playing_since
                    self.playing_since = None
            if self.eof_at is not None:
                if self.thanking or now - self.eof_at > settings.listen_seconds:
                    self.hang_up()
            return False

        def result(self):
            answered = self.answered_at is not None
            end = self.ended_at or time.monotonic()
            duration = round(end - self.answered_at, 1) if answered else 0.0
            heard = round(self.heard, 1)
            dropped = answered and not self.hung_up and heard + 0.5 < self.message_seconds
            return CallResult(
                self.request.key,
                answered,
                "".join(self.keys),
                duration,
                heard,
                None if answered else self.sip_code,
                dropped,
                None if answered or self.responded else "the PBX did not answer",
            )


def place_calls(settings, requests, timeout=None):
    """Place the calls, at most ``settings.max_calls`` at once, and return
    one :data:`CallResult` per request, in order.

    :raise DiallerError: the PBX refused the account or did not answer
    """
    if pj is None:
        raise DiallerError("PJSIP's Python bindings (pjsua2) are not installed")
    if not requests:
        return []
    with _lock:
        ep = _get_endpoint(settings.bind_port)
        account = _Account()
        config = pj.AccountConfig()
        host = settings.host
        name = settings.caller_id or settings.user or "dunning"
        config.idUri = f'"{name}" <sip:{settings.user or name}@{host}>'
        if settings.proxy:
            config.sipConfig.proxies.append(f"sip:{settings.proxy};lr")
        if settings.user:
            config.regConfig.registrarUri = f"sip:{host}"
            config.regConfig.timeoutSec = 300
            config.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", "*", settings.user, 0, settings.password or "")
            )
        else:
            config.regConfig.registerOnAdd = False
        account.create(config)
        try:
            if settings.user:
                _wait_registration(ep, account, host)
            results = {}
            queue = list(requests)
            active = []
            deadline = time.monotonic() + (timeout or MAX_CALL_SECONDS * len(requests))
            while (queue or active) and time.monotonic() < deadline:
                while queue and len(active) < max(settings.max_calls, 1):
                    request = queue.pop(0)
                    call = _Call(account, request)
                    try:
                        call.makeCall(_uri(request.number, host), pj.CallOpParam(True))
                    except pj.Error as error:
                        results[request.key] = CallResult(
                            request.key, False, "", 0.0, 0.0, None, False, error.info()
                        )
                        continue
                    active.append((call, [0]))
                ep.libHandleEvents(20)
                for call, handled in list(active):
                    if call.step(settings, handled):
                        results[call.request.key] = call.result()
                        active.remove((call, handled))
            for call, _handled in active:
                call.hang_up()
                results[call.request.key] = call.result()._replace(reason="timeout")
            _drain(ep, 0.5)
            del active
        finally:
            try:
                account.shutdown()
            except pj.Error as error:
                _logger.debug("Account shutdown: %s", error.info())
            _drain(ep, 0.2)
        return [results[request.key] for request in requests]


def _wait_registration(ep, account, host, seconds=10):
    deadline = time.monotonic() + seconds
    while account.reg_code is None and time.monotonic() < deadline:
        ep.libHandleEvents(20)
    code = account.reg_code
    if code is None or code in (408, 503):
        raise DiallerError(f"The PBX at {host} did not answer ({code or 'timeout'})")
    if code // 100 != 2:
        raise DiallerError(f"The PBX at {host} refused the account ({code})")


def _drain(ep, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ep.libHandleEvents(20)
