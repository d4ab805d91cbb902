"""Fixtures: private storage folders, a session of the memory-clinic patient, generated media."""

from tests.reliability.fixtures import bad_files, media_dir, session, storage, video_bytes

__all__ = ["bad_files", "media_dir", "session", "storage", "video_bytes"]
