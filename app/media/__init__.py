"""Media: decoding images and videos into RGB frames, frame sources with a decode-ahead cache, ingest."""

from app.media.errors import MediaError

__all__ = ["MediaError"]
