"""Media: image decoding (EXIF, 16-bit, formats), video random access, decode-ahead cache, ingest errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from app.domain import Label
from app.media.cache import FrameCache
from app.media.errors import MediaError
from app.media.images import load_image, probe_image
from app.media.ingest import create_image_task, create_video_task
from app.media.sources import open_task_source
from app.media.video import VideoReader, probe_video
from app.storage import Project


def write_video(path: Path, n: int = 40, size: tuple[int, int] = (64, 48)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for i in range(n):
        frame = np.full((size[1], size[0], 3), (i * 6) % 256, np.uint8)
        writer.write(frame)
    writer.release()


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".bmp", ".tif", ".webp"])
def test_common_formats_decode_to_rgb(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"img{suffix}"
    array = np.zeros((30, 40, 3), np.uint8)
    array[:, :, 0] = 200
    Image.fromarray(array).save(path)
    out = load_image(path)
    assert out.shape == (30, 40, 3) and out.dtype == np.uint8
    assert abs(int(out[15, 20, 0]) - 200) < 8 and int(out[15, 20, 2]) < 8
    assert probe_image(path) == (40, 30)


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "rot.jpg"
    image = Image.fromarray(np.zeros((20, 50, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    image.save(path, exif=exif)
    assert probe_image(path) == (20, 50)
    assert load_image(path).shape == (50, 20, 3)


def test_16_bit_tiff_is_scaled(tmp_path: Path) -> None:
    path = tmp_path / "deep.tif"
    data = np.linspace(0, 65535, 64 * 32, dtype=np.uint16).reshape(32, 64)
    Image.fromarray(data).save(path)
    out = load_image(path)
    assert out.shape == (32, 64, 3)
    assert out[0, 0, 0] == 0 and out[-1, -1, 0] == 255


def test_corrupt_files_are_named_and_nothing_is_imported(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "good.png")
    (folder / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    good_jpg = folder / "trunc.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(good_jpg)
    good_jpg.write_bytes(good_jpg.read_bytes()[:300])
    with Project.create(tmp_path / "p.fmproj", labels=[Label("a")]) as project:
        with pytest.raises(MediaError) as info:
            create_image_task(project, "t", [folder])
        message = str(info.value)
        assert "bad.jpg" in message and "trunc.jpg" in message and "good.png" not in message
        assert "2 of 3" in message
        assert project.tasks() == []


def test_image_task_paths_are_relative_and_readable(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "imgs"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.png", "sub/b.png"):
        Image.fromarray(np.full((10, 12, 3), 7, np.uint8)).save(folder / name)
    with Project.create(tmp_path / "proj" / "p.fmproj") as project:
        task = create_image_task(project, "t", [folder])
        frames = project.frames(task.id)
        assert [f.name for f in frames] == ["a.png", "sub/b.png"]
        assert frames[0].path == "../data/imgs/a.png"
        source = open_task_source(project, task.id)
        assert source.read(1).shape == (10, 12, 3)
        copied = create_image_task(project, "copy", [folder], copy_media=True)
        path = project.frames(copied.id)[0].path
        assert not path.startswith("..") and (project.media_root() / path).is_file()


def test_video_random_access_is_frame_accurate(tmp_path: Path) -> None:
    path = tmp_path / "v.avi"
    write_video(path)
    assert probe_video(path) == (40, 64, 48)
    reader = VideoReader(path, 40)
    expected = {i: (i * 6) % 256 for i in range(40)}
    for index in [0, 1, 2, 39, 5, 20, 19, 21, 0, 35]:
        value = int(reader.read(index)[10, 10, 0])
        assert abs(value - expected[index]) <= 3, (index, value)
    with pytest.raises(MediaError):
        reader.read(40)
    reader.close()


def test_video_task_and_cache_prefetch(tmp_path: Path) -> None:
    video = tmp_path / "v.avi"
    write_video(video, n=12)
    with Project.create(tmp_path / "p.fmproj") as project:
        task = create_video_task(project, "v", video, segment_size=5)
        assert task.size == 12 and task.media_type == "video"
        assert len(project.jobs(task.id)) == 3
        cache = FrameCache(open_task_source(project, task.id), capacity_bytes=5 * 64 * 48 * 3)
        cache.get(0)
        cache.around(0, ahead=4, behind=0)
        cache.wait_idle(timeout=10)
        assert all(cache.cached(i) for i in range(1, 5))
        hits = cache.hits
        assert abs(int(cache.get(3)[0, 0, 0]) - 18) <= 3
        assert cache.hits == hits + 1
        for i in range(5, 12):
            cache.get(i)
        assert not cache.cached(0)  # bounded: the oldest frames were evicted
        cache.close()


def test_not_a_video(tmp_path: Path) -> None:
    bogus = tmp_path / "x.mp4"
    bogus.write_bytes(b"nope")
    with Project.create(tmp_path / "p.fmproj") as project, pytest.raises(MediaError, match="x.mp4"):
        create_video_task(project, "v", bogus)


def test_corrupt_image_is_a_media_error_even_with_a_patched_image_open(tmp_path: Path, monkeypatch) -> None:
    """Ultralytics replaces PIL.Image.open with a version that may raise ImportError (no HEIF plugin)."""
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")

    def patched_open(*_args, **_kwargs):
        raise ModuleNotFoundError("No module named 'pi_heif'")

    monkeypatch.setattr(Image, "open", patched_open)
    with pytest.raises(MediaError, match="bad.jpg"):
        probe_image(bad)
    with pytest.raises(MediaError, match="bad.jpg"):
        load_image(bad)


def test_prefetch_of_frames_that_fail_at_once_returns() -> None:
    """A decode that ends before prefetch adds its done-callback (a missing file) used to deadlock on the
    cache's lock; prefetch returns, and the failure is the frame's own (raised when it is read)."""
    import threading

    from app.media.errors import MediaError

    class Missing:
        def __len__(self) -> int:
            return 8

        def read(self, index: int):
            raise MediaError(f"frame {index}: file not found")

    cache = FrameCache(Missing(), workers=1)  # type: ignore[arg-type]
    done = threading.Event()

    def go() -> None:
        for _ in range(50):
            cache.prefetch(range(8))
        done.set()

    threading.Thread(target=go, daemon=True).start()
    assert done.wait(30), "prefetch deadlocked"
    with pytest.raises(MediaError, match="frame 3: file not found"):
        cache.get(3)
