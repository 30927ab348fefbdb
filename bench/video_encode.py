"""H.264 encode of a full-screen 1080p animation: x264 presets and profiles side by side.

    .venv/bin/python -m bench.video_encode [--frames 90] [--bitrate 6000000]

For each of ultrafast / superfast and baseline / high, `sharer.codecs.h264.H264Encoder` encodes
the same animation (a photo-like backdrop drifting 6 pixels a frame under a page of text and a
bouncing box: every pixel changes every frame, as in a video or a dragged window): CPU
milliseconds per frame (process time: the machine is shared) including the BGRA -> YUV
conversion (median, p95), bytes per frame and the bitrate at 30 frames/s, and the picture
quality as PSNR of the decoded luma against the source (PyAV's own decoder). One process, one
core: x264 runs single-threaded in the sharer."""

from __future__ import annotations

import argparse
import statistics
import time

import av
import numpy as np
import numpy.typing as npt

from quickassist.sharer.codecs.h264 import DEFAULT_BITRATE, H264Encoder

WIDTH, HEIGHT = 1920, 1080
PRESETS = ("ultrafast", "superfast")
PROFILES = ("baseline", "high")


def backdrop(rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A smooth, photo-like BGRA picture twice the screen's width (it drifts sideways)."""
    coarse = rng.integers(0, 256, (HEIGHT // 40 + 2, WIDTH // 20 + 2, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(coarse, 40, axis=0), 40, axis=1)[:HEIGHT, : 2 * WIDTH]
    kernel = np.ones(9) / 9
    smooth = big.astype(np.float32)
    for axis in (0, 1):
        smooth = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="same"), axis, smooth)
    out = np.zeros((HEIGHT, 2 * WIDTH, 4), dtype=np.uint8)
    out[:, :, :3] = smooth.astype(np.uint8)
    return out


def animation(frames: int) -> list[npt.NDArray[np.uint8]]:
    rng = np.random.default_rng(9)
    back = backdrop(rng)
    text = rng.random((HEIGHT // 2, WIDTH // 2)) < 0.18  # glyph-like speckle
    out = []
    for n in range(frames):
        shift = (6 * n) % WIDTH
        frame = np.ascontiguousarray(back[:, shift : shift + WIDTH])
        page = frame[100 : 100 + HEIGHT // 2, 200 : 200 + WIDTH // 2]
        page[:] = 250
        page[text] = (30, 30, 30, 0)
        bx = 100 + (23 * n) % (WIDTH - 400)
        frame[700:900, bx : bx + 200] = (0, 0, 230, 0)
        out.append(frame)
    return out


def psnr(source: npt.NDArray[np.uint8], decoded: av.VideoFrame) -> float:
    want = av.VideoFrame.from_ndarray(source, format="bgra").reformat(format="yuv420p")
    a = want.to_ndarray()[:HEIGHT].astype(np.float32)
    b = decoded.reformat(format="yuv420p").to_ndarray()[:HEIGHT].astype(np.float32)
    mse = float(np.mean((a - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def run(preset: str, profile: str, frames: list[npt.NDArray[np.uint8]], bitrate: int) -> str:
    encoder = H264Encoder(preset=preset, profile=profile, bitrate_bps=bitrate)
    decoder = av.CodecContext.create("h264", "r")
    times, sizes, quality = [], [], []
    for n, frame in enumerate(frames):
        start = time.process_time()
        picture = encoder.encode(frame, n * 33)
        times.append((time.process_time() - start) * 1000)
        sizes.append(len(picture.data))
        for packet in decoder.parse(picture.data):
            for decoded in decoder.decode(packet):
                quality.append(psnr(frame, decoded))
    deltas = sizes[1:]
    times.sort()
    return (
        f"| {preset} | {profile} | {statistics.median(times):.1f} | "
        f"{times[int(0.95 * (len(times) - 1))]:.1f} | {sizes[0] / 1000:.0f} | "
        f"{statistics.mean(deltas) / 1000:.1f} | {statistics.mean(deltas) * 8 * 30 / 1e6:.1f} | "
        f"{statistics.mean(quality):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--bitrate", type=int, default=DEFAULT_BITRATE)
    args = parser.parse_args()
    frames = animation(args.frames)
    print(f"1920x1080, {args.frames} frames, target {args.bitrate / 1e6:.1f} Mbit/s at 30 fps")
    print("| preset | profile | ms/frame p50 | p95 | keyframe KB | delta KB | Mbit/s | PSNR dB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for preset in PRESETS:
        for profile in PROFILES:
            print(run(preset, profile, frames, args.bitrate), flush=True)


if __name__ == "__main__":
    main()
