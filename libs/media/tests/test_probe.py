"""ffprobe on real files made with ffmpeg -f lavfi."""

from __future__ import annotations

import asyncio

import pytest

from riverhost_media import ProbeError, ProbeFileMissingError, probe
from riverhost_media.testing import make_video


@pytest.mark.parametrize(("name", "container"), [("a.mkv", "mkv"), ("b.mp4", "mp4")])
def test_a_real_video_is_probed(tmp_path, name, container):
    path = make_video(tmp_path / name)

    result = asyncio.run(probe(path))

    assert result.container == container
    assert (result.width, result.height, result.resolution) == (320, 240, "SD")
    assert result.video_codec == "h264"
    assert result.audio_codec == "aac"
    assert result.bitrate_kbps is not None
    assert result.bitrate_kbps > 0
    assert result.duration_seconds == pytest.approx(1.0, abs=0.1)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ProbeFileMissingError, match="no such file") as caught:
        asyncio.run(probe(str(tmp_path / "gone.mkv")))
    assert caught.value.path.endswith("gone.mkv")


def test_a_file_that_is_not_media_says_what_ffprobe_said(tmp_path):
    path = tmp_path / "Empty.2001.mkv"
    path.write_bytes(b"")

    with pytest.raises(ProbeError, match=r"ffprobe .*Empty\.2001\.mkv: ") as caught:
        asyncio.run(probe(str(path)))
    assert not isinstance(caught.value, ProbeFileMissingError)
