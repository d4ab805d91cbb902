"""recording_create_from_file and recording_delete_video: consent, probing, storage, duplicates."""

import threading
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from accounts.errors import ApplicationError
from audit.models import AccessEvent
from care.withdrawal import recording_delete_video
from recordings import services
from recordings.models import Recording
from recordings.services import recording_create_from_file, session_create
from tests.factories import make_protocol, make_session
from tests.media import make_corrupt_files
from tests.platform.helpers import add_derived_results, sha256_of


@pytest.fixture
def session(world):
    return make_session(world.patient, by=world.clinician)


def test_it_stores_a_probed_video_under_a_server_chosen_key(world, session, store_recording, small_video):
    recording = store_recording(session, world.uploader)
    assert recording.status == Recording.Status.STORED
    assert (recording.width, recording.height) == (160, 120)
    assert recording.fps == pytest.approx(10)
    assert recording.duration_s == pytest.approx(
        2.0, abs=0.15
    )  # one frame of slack at 10 fps, plus container rounding
    assert recording.size_bytes == small_video.stat().st_size
    assert recording.file.name.startswith(f"recordings/{world.patient.code}/")
    assert "visit" not in recording.file.name  # the client's file name never reaches a path
    assert default_storage.open(recording.file.name).read() == small_video.read_bytes()
    assert (
        AccessEvent.objects.filter(
            action="create", object_type="recording", patient_code=world.patient.code
        ).count()
        == 1
    )


def test_the_same_file_twice_returns_the_stored_recording(world, session, store_recording, media_storage):
    first = store_recording(session, world.uploader)
    second = store_recording(session, world.uploader)
    assert second.pk == first.pk
    assert len(list(media_storage.rglob("*.video"))) == 1


@pytest.fixture(scope="module")
def corrupt_files(tmp_path_factory):
    return make_corrupt_files(tmp_path_factory.mktemp("corrupt"))


@pytest.mark.parametrize(
    "kind", ["empty", "text", "truncated", "audio_only", "image", "zero_frames", "corrupt"]
)
def test_a_file_that_is_not_a_video_is_refused_and_nothing_is_stored(
    world, session, media_storage, corrupt_files, kind
):
    path = corrupt_files[kind]
    with pytest.raises(ApplicationError) as raised:
        recording_create_from_file(
            session=session,
            file_path=path,
            original_filename=path.name,
            sha256=sha256_of(path),
            uploaded_by=world.uploader,
        )
    assert raised.value.message.endswith(".")  # a sentence from analysis.errors, shown as it is
    assert not Recording.objects.exists()
    assert not [path for path in media_storage.rglob("*") if path.is_file()]


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_file_keep_one_recording(world, small_video, media_storage):
    session = make_session(world.patient, by=world.clinician)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def upload():
        try:
            barrier.wait()
            results.append(
                recording_create_from_file(
                    session=session,
                    file_path=small_video,
                    original_filename="visit.mp4",
                    sha256=sha256_of(small_video),
                    uploaded_by=world.uploader,
                )
            )
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results[0].pk == results[1].pk
    assert Recording.objects.filter(session=session).count() == 1
    assert len(list(media_storage.rglob("*.video"))) == 1  # the loser's copy was deleted


def test_deleting_a_video_removes_the_file_and_its_tracks_and_keeps_the_row(world, session, store_recording):
    recording = store_recording(session, world.uploader)
    job = add_derived_results(recording)
    job.tracks_file.save("tracks.parquet", ContentFile(b"parquet bytes"))
    names = [recording.file.name, job.tracks_file.name]

    recording_delete_video(recording=recording, by=world.clinician, reason="requested")

    recording.refresh_from_db()
    assert recording.status == Recording.Status.DELETED and recording.deleted_at is not None
    assert not any(default_storage.exists(name) for name in names)
    assert AccessEvent.objects.filter(action="delete", patient_code=world.patient.code).count() == 2
    # Deleting again is a no-op, not an error.
    recording_delete_video(recording=recording, by=world.clinician, reason="requested")
    assert AccessEvent.objects.filter(action="delete", patient_code=world.patient.code).count() == 2


def test_a_session_names_a_clinician_of_the_patients_team_only(world):
    with pytest.raises(ApplicationError, match="not a clinician"):
        session_create(
            patient=world.patient,
            protocol=make_protocol(),
            session_date=date(2026, 10, 1),
            clinician=world.outsider,
            by=world.uploader,
        )
    created = session_create(
        patient=world.patient,
        protocol=make_protocol(),
        session_date=date(2026, 10, 1),
        clinician=world.colleague,
        notes="first visit",
        by=world.uploader,
    )
    assert created.created_by == world.uploader
    assert AccessEvent.objects.filter(
        action="create", object_type="session", object_id=str(created.pk)
    ).exists()


def test_losing_the_race_returns_the_winner_and_deletes_the_losers_copy(
    world, session, store_recording, media_storage, monkeypatch
):
    """The loser passed the duplicate check before the winner committed: the unique constraint
    settles it. The first duplicate lookup is made to miss, as it does in the race."""

    winner = store_recording(session, world.uploader)
    lookups = iter([None])
    real_lookup = services._stored_recording
    monkeypatch.setattr(
        services, "_stored_recording", lambda **kwargs: next(lookups, None) or real_lookup(**kwargs)
    )

    loser = store_recording(session, world.uploader)

    assert loser.pk == winner.pk
    assert [path.name for path in media_storage.rglob("*.video")] == [winner.file.name.rsplit("/", 1)[1]]
