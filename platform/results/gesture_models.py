"""Gesture classifier versions: register a trained model file, choose the active one, find it.

A trained model (analysis.gestures.train writes one file) is registered as a ModelVersion of kind
"gesture": the file goes to Django's storage (local disk or S3, like the videos), with its
sha256, the metrics of its training and evaluation, and the sha256 of the training data
(analysis.gestures.dataset.data_sha256), so that every number on the models page can be traced
to the data it came from. The deployment runs the one active version of a name; the database
enforces "one active per name" (constraint one_active_model_per_name), and activation swaps
the flag in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import math
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from accounts.errors import ApplicationError
from results.models import ModelVersion

logger = logging.getLogger(__name__)

GESTURE_MODEL_NAME = "gesture-tcn"
_CHUNK_BYTES = 1024 * 1024


def _sha256_of(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _json_metrics(value: Any) -> Any:
    """Metrics as plain JSON: NaN and infinities become null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _json_metrics(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_metrics(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # NumPy scalar
        return _json_metrics(value.item())
    return value


@transaction.atomic
def gesture_model_register(
    *,
    model_path: str | Path,
    metrics: dict[str, Any],
    training_data_sha256: str,
    version: str,
    name: str = GESTURE_MODEL_NAME,
) -> ModelVersion:
    """Store a trained gesture model file and record it as an inactive ModelVersion.

    Parameters
    ----------
    model_path : the file written by analysis.gestures.model.save_model.
    metrics : training and evaluation figures (JSON; NaN is stored as null).
    training_data_sha256 : hex sha256 of the training set (its manifest's "sha256").
    version : unique among the versions of name, e.g. "2026.11.25".
    """
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ApplicationError(
            f"The model file {model_path} does not exist; train a model first "
            "(manage.py gesture_model_train or python -m analysis.gestures train).",
            extra={"model_path": str(model_path)},
        )
    if ModelVersion.objects.filter(name=name, version=version).exists():
        raise ApplicationError(
            f"Model {name} already has a version {version!r}; choose another version name.",
            extra={"name": name, "version": version},
        )
    model_version = ModelVersion(
        name=name,
        version=version,
        kind=ModelVersion.Kind.GESTURE,
        training_data_sha256=training_data_sha256,
        metrics=_json_metrics(dict(metrics)),
    )
    with model_path.open("rb") as handle:
        model_version.file_sha256 = _sha256_of(handle)
        handle.seek(0)
        model_version.file.save(f"{name}-{version}.pt", File(handle), save=False)
    try:
        model_version.full_clean()
        model_version.save()
    except (ValidationError, IntegrityError) as error:
        default_storage.delete(model_version.file.name)
        raise ApplicationError(f"The model version could not be registered: {error}") from error
    logger.info(
        "registered gesture model %s %s", name, version, extra={"file_sha256": model_version.file_sha256}
    )
    return model_version


@transaction.atomic
def gesture_model_activate(*, model_version: ModelVersion) -> ModelVersion:
    """Make this gesture model version the one the deployment runs (the others of its name stop).

    The rows of the name are locked first, so two activations at once end with exactly one
    active version (the later one), never an IntegrityError for the person.
    """
    if model_version.kind != ModelVersion.Kind.GESTURE:
        raise ApplicationError(
            f"{model_version} is a {model_version.get_kind_display()} model; only gesture models are "
            "chosen here (the others come with the analysis pipeline)."
        )
    same_name = ModelVersion.objects.select_for_update().filter(name=model_version.name)
    list(same_name)  # take the row locks before changing any flag
    same_name.exclude(pk=model_version.pk).filter(is_active=True).update(is_active=False)
    same_name.filter(pk=model_version.pk).update(is_active=True)
    model_version.refresh_from_db()
    logger.info("activated gesture model %s", model_version)
    return model_version


def active_gesture_model(*, name: str = GESTURE_MODEL_NAME) -> ModelVersion | None:
    """The active gesture model version of name, or None when none has been activated."""
    return ModelVersion.objects.filter(name=name, kind=ModelVersion.Kind.GESTURE, is_active=True).first()


def model_versions_list() -> list[ModelVersion]:
    """Every registered model version of every kind, the active one first within each name."""
    return list(ModelVersion.objects.order_by("name", "-is_active", "-created_at"))


def gesture_model_local_path(*, model_version: ModelVersion) -> Path:
    """A local copy of the model file (analysis.gestures.model.load_model needs a path).

    The copy lives in settings.GESTURE_MODEL_DIR under the file's sha256, so workers fetch it
    from storage once; its hash is checked, so a damaged or replaced file is never loaded.
    """
    if not model_version.file or not default_storage.exists(model_version.file.name):
        raise ApplicationError(
            f"The file of model {model_version} ({model_version.file.name or 'none recorded'}) is not "
            "in storage; register the model again."
        )
    directory = Path(settings.GESTURE_MODEL_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    local = directory / f"{model_version.file_sha256}.pt"
    if local.is_file():
        with local.open("rb") as handle:
            if _sha256_of(handle) == model_version.file_sha256:
                return local
    # A uniquely named partial file, renamed into place: two workers fetching at once never
    # read each other's half-written copy.
    with (
        tempfile.NamedTemporaryFile(dir=directory, suffix=".part", delete=False) as target,
        default_storage.open(model_version.file.name, "rb") as source,
    ):
        for chunk in iter(lambda: source.read(_CHUNK_BYTES), b""):
            target.write(chunk)
    partial = Path(target.name)
    with partial.open("rb") as handle:
        actual = _sha256_of(handle)
    if actual != model_version.file_sha256:
        partial.unlink()
        raise ApplicationError(
            f"The stored file of model {model_version} has sha256 {actual}, not the registered "
            f"{model_version.file_sha256}; the file was changed. Register the model again."
        )
    partial.replace(local)
    return local
