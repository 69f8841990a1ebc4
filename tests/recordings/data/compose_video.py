"""Compose flowcam_scenes.mp4 from the real FlowCam images in the shared data.

Run from the repository root: `.venv/bin/python tests/recordings/data/compose_video.py`.
Six scenes of one second each at 10 frames per second, 320 x 240 pixels, MPEG-4
Part 2: in each, one FlowCam particle image (the first of each class folder of
catalogue/demo/phytoplankton-flowcam, a copy of /work/shared/data's, Apache-2.0,
see its SOURCE.md), scaled to 180 pixels, drifts slowly (10 pixels in the second)
over a dark background, as particles pass a fixed observatory camera one after
another. The
container's creation_time is 2024-06-01T12:00:00Z, the recording's start.
"""

from pathlib import Path

import av
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"
OUT = Path(__file__).with_name("flowcam_scenes.mp4")
SIZE, RATE, SECONDS_PER_SCENE = (320, 240), 10, 1


def main() -> None:
    folders = sorted(folder for folder in SOURCE.iterdir() if folder.is_dir())
    particles = [sorted(folder.glob("*.jpg"))[0] for folder in folders]
    with av.open(str(OUT), "w", format="mp4") as container:
        container.metadata["creation_time"] = "2024-06-01T12:00:00Z"
        stream = container.add_stream("mpeg4", rate=RATE)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "4"}
        stream.codec_context.gop_size = RATE
        for path in particles:
            particle = Image.open(path).convert("RGB")
            scale = 180 / max(particle.size)  # the particle fills the view, as close up
            particle = particle.resize(
                (round(particle.width * scale), round(particle.height * scale))
            )
            steps = RATE * SECONDS_PER_SCENE
            for step in range(steps):
                canvas = Image.new("RGB", SIZE, (12, 18, 30))
                x = (SIZE[0] - particle.width) // 2 - 5 + int(step * 10 / max(1, steps - 1))
                canvas.paste(particle, (x, (SIZE[1] - particle.height) // 2))
                frame = av.VideoFrame.from_image(canvas)
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


if __name__ == "__main__":
    main()
