"""Virus scanning by clamd, the ClamAV daemon, over its socket (INSTREAM: the
file is streamed to it; clamd needs no access to our storage). The client is
clamav-client's. CLAMD_ADDRESS: "host:port" (TCP, the default 127.0.0.1:3310)
or "unix:/path/to/clamd.ctl".

A scan answers CLEAN, or INFECTED with the signature's name, or raises
ScannerUnavailable when clamd cannot be reached or does not answer: the caller
keeps the file waiting ("being checked") and scans it again later, never
accepting it unscanned."""
import logging

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from nameko.extensions import DependencyProvider

from services.common.config import env

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = "127.0.0.1:3310"
TIMEOUT_SECONDS = 30.0   # a few MB scan in well under a second; a stuck clamd is down
CLEAN, INFECTED = "clean", "infected"


class ScannerUnavailable(Exception):
    """clamd could not be reached or gave no verdict."""


def client(address=None, timeout=TIMEOUT_SECONDS):
    address = address or env("CLAMD_ADDRESS", DEFAULT_ADDRESS)
    if address.startswith("unix:"):
        return ClamdUnixSocket(address[len("unix:"):], timeout=timeout)
    host, _, port = address.rpartition(":")
    return ClamdNetworkSocket(host or "127.0.0.1", int(port or 3310), timeout=timeout)


class Scanner:
    def __init__(self, address=None):
        self.address = address

    def scan(self, stream):
        """(CLEAN, None) or (INFECTED, signature) for the bytes read from `stream`."""
        try:
            result = client(self.address).instream(stream)
        except (ClamdError, OSError) as exc:
            raise ScannerUnavailable(str(exc)) from exc
        if not result:
            raise ScannerUnavailable("clamd gave no answer")
        (status, reason), = result.values()
        if status == "OK":
            return CLEAN, None
        if status == "FOUND":
            return INFECTED, reason
        raise ScannerUnavailable(f"clamd said {status} {reason}")

    def ping(self):
        try:
            return client(self.address, timeout=2).ping() == "PONG"
        except (ClamdError, OSError):
            return False


class ScannerProvider(DependencyProvider):
    def setup(self):
        self.scanner = Scanner()

    def get_dependency(self, worker_ctx):
        return self.scanner
