"""The sharer preset: the service's address and certificate pin, as the service hands them out.

The service (service/downloads.py) writes it, the sharer app (sharer/preset.py) reads it; this
module is the format both agree on, with no I/O. A preset is a small JSON object::

    {"quickassist_sharer": 1, "service_url": "https://help.example.org:8443",
     "fingerprint": "SHA256:AB:CD:..."}      # null: a CA-issued certificate, the system's trust

and, appended to the one-file sharer app, a trailer::

    JSON | length of the JSON (4 bytes, big-endian) | MAGIC (8 bytes)

Why a trailer works on a PyInstaller one-file app: its bootloader finds its archive by scanning
the file back to front for the archive cookie's magic (bootloader/src/pyi_utils.c,
``pyi_utils_find_magic_pattern``: the scan that lets code signatures be appended), and takes
the first match from the end. Bytes after the archive are therefore skipped, provided they do
not contain that magic; `trailer` refuses a preset that would (JSON text never does).

No signature: nothing in a preset is secret, and whoever can change the downloaded file's tail
can change its code as well; the file's own integrity (a TLS download, an OS code signature)
covers both.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import MessageError
from .json_reader import read_json_object

#: Ends every trailer; not PyInstaller's cookie magic.
MAGIC = b"QAPRESET"
#: The format's version: an app reads presets of its version only and says so otherwise.
VERSION = 1
#: A URL and a fingerprint are a few hundred bytes; anything longer is not a preset.
MAX_PRESET_BYTES = 4096
#: PyInstaller's archive cookie magic ("MEI\014\013\012\013\016", bootloader/src/pyi_archive.c).
PYINSTALLER_COOKIE_MAGIC = b"MEI\x0c\x0b\x0a\x0b\x0e"
_LENGTH = struct.Struct(">I")
#: The fixed end of a trailer: the length and the magic.
TRAILER_END_BYTES = _LENGTH.size + len(MAGIC)
#: The most a reader needs from a file's end to find a whole trailer.
MAX_TRAILER_BYTES = MAX_PRESET_BYTES + TRAILER_END_BYTES
_FINGERPRINT = re.compile(r"SHA256:[0-9A-F]{2}(?::[0-9A-F]{2}){31}")
#: A host name or an [IPv6] address, and an optional port: no user name, nothing else.
_HOST_AND_PORT = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?"
)
_WHAT = "The sharer's settings"


@dataclass(frozen=True, slots=True)
class SharerPreset:
    """The service a sharer app joins, and the pin of its self-signed certificate."""

    service_url: str
    #: ``SHA256:AB:...`` (upper-case colon hex) of a self-signed certificate; None: the system
    #: trust store (a CA-issued certificate, whose renewal must not break the app).
    fingerprint: str | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.service_url)
        if (
            parts.scheme != "https"
            or not _HOST_AND_PORT.fullmatch(parts.netloc)
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise MessageError(f"{_WHAT} must name an https:// address with no path.")
        if self.fingerprint is not None and not _FINGERPRINT.fullmatch(self.fingerprint):
            raise MessageError(f"{_WHAT} hold a fingerprint that is not SHA256:AB:CD:...")

    def to_json(self) -> bytes:
        document = {
            "quickassist_sharer": VERSION,
            "service_url": self.service_url,
            "fingerprint": self.fingerprint,
        }
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> SharerPreset:
        """Read a preset; `MessageError` with a plain sentence if it is not one."""
        document = read_json_object(data, limit=MAX_PRESET_BYTES, what=_WHAT, max_depth=1)
        if document.get("quickassist_sharer") != VERSION:
            raise MessageError(f"{_WHAT} are of another version of quickassist.")
        url, fingerprint = document.get("service_url"), document.get("fingerprint")
        if not isinstance(url, str) or not (fingerprint is None or isinstance(fingerprint, str)):
            raise MessageError(f"{_WHAT} must hold a service_url and a fingerprint.")
        return cls(service_url=url, fingerprint=fingerprint)


def trailer(preset: SharerPreset) -> bytes:
    """The bytes the service appends to the one-file sharer app it hands out."""
    body = preset.to_json()
    block = body + _LENGTH.pack(len(body)) + MAGIC
    if PYINSTALLER_COOKIE_MAGIC in block:
        raise MessageError(f"{_WHAT} cannot be appended to the sharer app.")
    return block


def preset_from_tail(tail: bytes) -> SharerPreset | None:
    """The preset a file ends with, from its last bytes (up to `MAX_TRAILER_BYTES`).

    None when the file carries no trailer; `MessageError` when it carries a broken one.
    """
    if len(tail) < TRAILER_END_BYTES or not tail.endswith(MAGIC):
        return None
    (length,) = _LENGTH.unpack_from(tail, len(tail) - TRAILER_END_BYTES)
    if length > MAX_PRESET_BYTES or length > len(tail) - TRAILER_END_BYTES:
        raise MessageError(f"{_WHAT} at the end of the sharer app are cut short.")
    end = len(tail) - TRAILER_END_BYTES
    return SharerPreset.from_json(tail[end - length : end])
