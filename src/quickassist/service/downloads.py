"""The sharer app, handed out by the service already set up for it.

Routes:

* ``GET /api/downloads``: what the console's "Send the sharer app" offers: the one-file apps
  in the downloads directory (``config.downloads_dir``; scripts/build-sharer makes them), the
  preset file, and the address and pin they carry;
* ``GET /download/quickassist-sharer-<platform>``: that app with the service's preset appended
  (`protocol.sharer_preset.trailer`), so the person who runs it types only the code;
* ``GET /download/quickassist-sharer.json``: the preset alone, for an installed
  ``quickassist share`` (saved as ``~/.config/quickassist/sharer.json``).

All are public: the sharer never signs in, and nothing in a preset is secret (a certificate is
shown to every client). The address is the public origin, else the Host the browser used, the
name the person's computer can reach the service by. The pin is set only for a self-signed
certificate: a CA-issued one is trusted by the system and renewed every few months, which
would break a pinned app.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from ..protocol.errors import MessageError
from ..protocol.sharer_preset import SharerPreset, trailer
from .config import ServiceConfig
from .errors import ServiceError
from .request_guard import expected_origin
from .tls import der_fingerprint

APP_PREFIX = "quickassist-sharer-"
PRESET_FILE_NAME = "quickassist-sharer.json"
#: What scripts/build-sharer names its output: quickassist-sharer-linux-x86_64, ...-win32-amd64.exe
_APP_NAME = re.compile(r"quickassist-sharer-[a-z0-9]+-[a-z0-9_]+(?:\.exe)?")
#: Read the app in pieces of this size: tens of megabytes never sit in memory at once.
CHUNK_BYTES = 1024 * 1024

router = APIRouter(tags=["downloads"])


class SharerAppOut(BaseModel):
    platform: str = Field(description='The build\'s "<os>-<machine>", e.g. linux-x86_64.')
    url: str
    bytes: int = Field(description="Size of the download, preset included.")


class DownloadsOut(BaseModel):
    service_url: str = Field(description="The address the sharer apps are set up to join.")
    fingerprint: str | None = Field(
        description="Pin of the self-signed certificate; null for a CA-issued one."
    )
    sharer_apps: list[SharerAppOut]
    preset_url: str


class NoSuchDownload(ServiceError):
    status = 404
    code = "unknown_download"

    def __init__(self) -> None:
        super().__init__("There is no such download on this service.")


class Downloads:
    """The downloads directory and the certificate whose pin goes into every preset."""

    def __init__(self, directory: Path, cert_path: Path) -> None:
        self.directory = directory
        self.cert_path = cert_path

    @functools.cached_property
    def pin(self) -> str | None:
        """``SHA256:...`` if the served certificate is self-signed, else None (module doc).

        Read at the first request, when `quickassist serve` has made its certificate.
        """
        return self_signed_pin(self.cert_path)

    def apps(self) -> list[Path]:
        """The one-file sharer apps present now (a build may be added while serving)."""
        try:
            found = [p for p in self.directory.iterdir() if _APP_NAME.fullmatch(p.name)]
        except OSError:  # no downloads directory: nothing built
            return []
        return sorted(p for p in found if p.is_file())

    def preset_for(self, request: Request) -> SharerPreset:
        origin = expected_origin(request.headers, "https", request.app.state.config.public_origin)
        try:
            if origin is None:
                raise MessageError("A request without a Host names no service.")
            return SharerPreset(service_url=origin, fingerprint=self.pin)
        except MessageError:
            # A Host that is no address (a path, a space) names no service to set an app up for.
            raise NoSuchDownload() from None


def self_signed_pin(cert_path: Path) -> str | None:
    """The fingerprint of the certificate at `cert_path` if it signed itself, else None."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return None
    if cert.issuer != cert.subject:
        return None
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError):
        return None
    return der_fingerprint(cert.public_bytes(Encoding.DER))


def downloads_of(request: Request) -> Downloads:
    downloads: Downloads = request.app.state.downloads
    return downloads


def _platform(app: Path) -> str:
    return app.name.removeprefix(APP_PREFIX).removesuffix(".exe")


@router.get("/api/downloads", response_model=DownloadsOut)
async def list_downloads(request: Request) -> DownloadsOut:
    """What can be sent to the person being helped, and what it is set up for."""
    downloads = downloads_of(request)
    preset = downloads.preset_for(request)
    extra = len(trailer(preset))
    apps = await anyio.to_thread.run_sync(downloads.apps)
    return DownloadsOut(
        service_url=preset.service_url,
        fingerprint=preset.fingerprint,
        sharer_apps=[
            SharerAppOut(
                platform=_platform(app),
                url=f"/download/{app.name}",
                bytes=app.stat().st_size + extra,
            )
            for app in apps
        ],
        preset_url=f"/download/{PRESET_FILE_NAME}",
    )


@router.get(f"/download/{PRESET_FILE_NAME}", response_class=Response)
async def download_preset(request: Request) -> Response:
    """The preset alone, for ``~/.config/quickassist/sharer.json``."""
    body = downloads_of(request).preset_for(request).to_json() + b"\n"
    return Response(body, media_type="application/json", headers=_attachment(PRESET_FILE_NAME))


@router.get("/download/{name}", response_class=StreamingResponse)
async def download_app(request: Request, name: str) -> StreamingResponse:
    """The one-file sharer app with this service's preset appended."""
    downloads = downloads_of(request)
    app = next((p for p in await anyio.to_thread.run_sync(downloads.apps) if p.name == name), None)
    if app is None:
        raise NoSuchDownload()
    tail = trailer(downloads.preset_for(request))
    size = app.stat().st_size
    headers = _attachment(name) | {"Content-Length": str(size + len(tail))}
    return StreamingResponse(
        _app_then(app, size, tail), media_type="application/octet-stream", headers=headers
    )


async def _app_then(app: Path, size: int, tail: bytes) -> AsyncIterator[bytes]:
    """The app's first `size` bytes (as listed: a build replaced meanwhile is cut, not mixed
    with the old one's length), then the trailer."""
    left = size
    async with await anyio.open_file(app, "rb") as file:
        while left > 0:
            chunk = await file.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    yield tail


def _attachment(name: str) -> dict[str, str]:
    # Each download is made for the address it was asked by: no shared cache may keep it.
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def install_downloads(app: FastAPI, config: ServiceConfig) -> None:
    """Serve the sharer apps in ``config.downloads_dir`` (see the module docstring)."""
    app.state.downloads = Downloads(config.downloads_path, config.certificate_path)
    app.include_router(router)
