"""``ffprobe`` (Debian's ``ffmpeg`` package): what a media file holds.

:func:`probe` runs ``ffprobe -show_format -show_streams`` as a subprocess (no FFmpeg library is
linked in) and returns a :class:`ProbeResult`: container, resolution, codecs, bitrate and
duration. A missing file raises :class:`ProbeFileMissingError` before ffprobe runs; a missing
ffprobe raises :class:`FfprobeNotFoundError`; anything ffprobe cannot read raises
:class:`ProbeError` with its own message.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from riverhost_media.errors import FfprobeNotFoundError, ProbeError, ProbeFileMissingError

__all__ = ["ProbeResult", "probe", "resolution_label"]

#: ffprobe's format names, to the container a person would name.
_CONTAINERS = {
    "matroska": "mkv",
    "matroska,webm": "mkv",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "avi": "avi",
    "mpegts": "ts",
    "asf": "wmv",
    "flv": "flv",
    "mpeg": "mpg",
    "ogg": "ogv",
}


class ProbeResult(BaseModel):
    """What ffprobe found; ``None`` where the file does not say."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    container: str | None = None
    width: int | None = None
    height: int | None = None
    resolution: str | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_channels: int | None = None
    bitrate_kbps: int | None = None
    duration_seconds: float | None = None
    framerate: float | None = None


class _Stream(BaseModel):
    model_config = ConfigDict(extra="ignore")

    codec_type: str | None = None
    codec_name: str | None = None
    width: int | None = None
    height: int | None = None
    channels: int | None = None
    avg_frame_rate: str | None = None


class _Format(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format_name: str | None = None
    duration: float | None = None
    bit_rate: int | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    streams: list[_Stream] = []
    format: _Format = _Format()


def resolution_label(width: int | None, height: int | None) -> str | None:
    """``2160p``, ``1080p``, ``720p``, ``576p``, ``480p`` or ``SD`` by frame size."""
    if width is None or height is None:
        return None
    for label, min_width, min_height in (
        ("2160p", 3200, 1600),
        ("1080p", 1800, 1000),
        ("720p", 1200, 700),
        ("576p", 1000, 560),
        ("480p", 700, 470),
    ):
        if width >= min_width or height >= min_height:
            return label
    return "SD"


def _framerate(text: str | None) -> float | None:
    if not text or "/" not in text:
        return None
    num, _, den = text.partition("/")
    try:
        return round(int(num) / int(den), 3) if int(den) else None
    except ValueError:
        return None


async def probe(path: str, *, ffprobe: str = "ffprobe", timeout: float = 60.0) -> ProbeResult:
    """Probe ``path`` with ffprobe."""
    if not os.path.isfile(path):
        raise ProbeFileMissingError(path)
    program = shutil.which(ffprobe)
    if program is None:
        raise FfprobeNotFoundError(path)
    process = await asyncio.create_subprocess_exec(
        program,
        *("-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ProbeError(path, f"ffprobe took longer than {timeout:g}s") from None
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        if not os.path.exists(path):
            raise ProbeFileMissingError(path)
        message = err.decode(errors="replace").strip().splitlines()
        raise ProbeError(path, message[-1] if message else f"exit status {process.returncode}")
    return _result(path, out)


def _result(path: str, out: bytes) -> ProbeResult:
    try:
        raw: Any = json.loads(out)
        answer = _Answer.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        raise ProbeError(path, f"unreadable ffprobe output: {exc}") from exc
    video = next((s for s in answer.streams if s.codec_type == "video"), None)
    audio = next((s for s in answer.streams if s.codec_type == "audio"), None)
    fmt = answer.format
    width = video.width if video else None
    height = video.height if video else None
    return ProbeResult(
        container=_CONTAINERS.get(fmt.format_name or "", fmt.format_name),
        width=width,
        height=height,
        resolution=resolution_label(width, height),
        video_codec=video.codec_name if video else None,
        audio_codec=audio.codec_name if audio else None,
        audio_channels=audio.channels if audio else None,
        bitrate_kbps=fmt.bit_rate // 1000 if fmt.bit_rate else None,
        duration_seconds=fmt.duration,
        framerate=_framerate(video.avg_frame_rate) if video else None,
    )
