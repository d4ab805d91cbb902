"""Client file names are never used as paths, and a file's type is decided by decoding it.

Every upload goes through the real endpoints (the browser's JSON endpoints with CSRF, and the
REST API): the stored key is chosen by the server, the bytes land only in MEDIA_ROOT (the video)
and UPLOAD_TMP_DIR (while it arrives), and nothing is written anywhere else.
"""

import re
from pathlib import Path

import pytest

from recordings.models import Recording
from tests.reliability.uploading import (
    Snapshot,
    api_client,
    api_upload,
    browser,
    browser_upload,
    is_sentence,
    message_of,
    stored_files,
)

HOSTILE_NAMES = [
    "../../etc/passwd.mp4",
    "..\\..\\x.mp4",
    "/etc/cron.d/evil.mp4",
    "C:\\Windows\\System32\\visit.mp4",
    "....//....//visit.mp4",
    "visite-été-à-l\u2019hôpital-👋.mp4",
    "%2e%2e%2fencoded.mp4",
    ".",
    "..",
    " ",
    "a" * 400 + ".mp4",
]
STORED_KEY = re.compile(r"^recordings/P-[A-Z0-9]+/[0-9a-f]{32}\.video$")


def everything_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_file_name_is_kept_as_a_label_and_never_becomes_a_path(
    world, session, storage, video_bytes, name, tmp_path
):
    media, upload_tmp = storage
    outside_before = everything_under(tmp_path)
    answer = browser_upload(browser(world.uploader), session, video_bytes, name=name)
    assert answer.status_code == 200, answer.content
    recording = Recording.objects.get()
    assert STORED_KEY.match(recording.file.name), recording.file.name
    assert "/" not in recording.original_filename and "\\" not in recording.original_filename
    assert 0 < len(recording.original_filename) <= 255
    # The only new files are the stored video (the temporary file is gone once complete).
    assert stored_files(media, upload_tmp) == {f"media/{recording.file.name}": len(video_bytes)}
    created = everything_under(tmp_path) - outside_before
    assert {path.split("/")[0] for path in created} == {"server"}, created
    assert not Path("/etc/cron.d/evil.mp4").exists()


def test_a_name_with_a_nul_byte_is_refused_by_the_api_with_a_sentence(world, session, storage, video_bytes):
    before = Snapshot.take()
    answer = api_client(world.uploader).post(
        "/api/v1/uploads/",
        {
            "session": session.pk,
            "filename": "visit\x00.mp4",
            "size_bytes": len(video_bytes),
            "sha256": "0" * 64,
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "Null characters" in str(answer.json()["extra"]["fields"]["filename"])
    assert not before.unchanged_but(Snapshot.take())


def test_a_name_with_a_nul_byte_through_the_browser_is_stored_without_it(
    world, session, storage, video_bytes
):
    answer = browser_upload(browser(world.uploader), session, video_bytes, name="visit\x00../../x.mp4")
    assert answer.status_code == 200, answer.content
    recording = Recording.objects.get()
    assert "\x00" not in recording.original_filename and "/" not in recording.original_filename
    assert STORED_KEY.match(recording.file.name)


def test_a_real_video_named_txt_is_accepted(world, session, storage, video_bytes):
    answer = api_upload(api_client(world.uploader), session, video_bytes, name="notes.txt")
    assert answer.status_code == 201, answer.content
    recording = Recording.objects.get()
    assert recording.original_filename == "video.txt"
    assert recording.codec in {"h264", "mpeg4"} and recording.fps == pytest.approx(10)
    assert recording.width == 160 and recording.height == 120


@pytest.mark.parametrize("kind", ["text", "image", "audio_only"])
def test_a_file_named_mp4_that_is_not_a_video_is_rejected(world, session, storage, bad_files, kind):
    before = Snapshot.take()
    answer = api_upload(api_client(world.uploader), session, bad_files[kind], name="visit.mp4")
    assert answer.status_code == 422
    assert is_sentence(message_of(answer)), message_of(answer)
    after = Snapshot.take()
    # The upload's own row stays, marked failed with the reason; nothing else is stored.
    assert not before.unchanged_but(after, uploads=1, access_events=1)
    assert after.files == {}
