"""`load`: a trained model from `artifacts/` or an exported folder, after
checking every file against the sha256 in its card."""

import json
import os
import pathlib

from aezoo import registry
from aezoo.artifact.artifact import CARD
from aezoo.artifact.artifact import KERAS_FILE
from aezoo.artifact.artifact import SAVED_MODEL_DIR
from aezoo.artifact.artifact import recover_interrupted
from aezoo.artifact.artifact import sha256
from aezoo.artifact.errors import ArtifactError

ARTIFACTS_ENV_VAR = "AEZOO_ARTIFACTS"
FORMATS = ("keras", "saved_model")


def artifacts_root():
    """Where shipped artifacts live: `$AEZOO_ARTIFACTS`, else the repository's
    `artifacts/` folder."""
    configured = os.environ.get(ARTIFACTS_ENV_VAR)
    if configured:
        return pathlib.Path(configured)
    return pathlib.Path(__file__).resolve().parents[2] / "artifacts"


def artifact_dir(name_or_path):
    """The artifact folder of a registered model name or of a path."""
    path = pathlib.Path(name_or_path)
    if path.is_dir() or os.sep in str(name_or_path) or str(name_or_path).startswith("."):
        recover_interrupted(path)
        if not path.is_dir():
            raise ArtifactError(
                f"No artifact folder at {path}. Export one with `aezoo export RUN_DIR --out {path}`."
            )
        return path
    name = str(name_or_path)
    registry.get_model_info(name)  # an unknown name gets the registry's error and hint
    path = artifacts_root() / name
    recover_interrupted(path)
    if not path.is_dir():
        raise ArtifactError(
            f"No trained artifact for {name!r} in {artifacts_root()}. Train and "
            f"export one: `aezoo train {name} && aezoo export runs/{name}-default "
            f"--out {path}` (or set {ARTIFACTS_ENV_VAR})."
        )
    return path


def read_card(name_or_path):
    """The parsed `card.json` of an artifact (not verified)."""
    folder = artifact_dir(name_or_path)
    card_path = folder / CARD
    if not card_path.is_file():
        raise ArtifactError(
            f"{folder} has no {CARD}: it is not an aezoo artifact, or its export "
            f"did not finish. Re-export it with `aezoo export`."
        )
    try:
        card = json.loads(card_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(
            f"{card_path} is not valid JSON ({error}). Restore it (e.g. "
            f"`git checkout -- {card_path}`) or re-export the artifact."
        ) from None
    if not isinstance(card, dict) or not isinstance(card.get("files"), dict):
        raise ArtifactError(f"{card_path} has no 'files' table; re-export the artifact.")
    return card


def verify(name_or_path):
    """Checks every file of an artifact against its card's sha256 and size.

    Returns:
        The card.

    Raises:
        ArtifactError: naming the first missing, changed or unexpected file.
    """
    folder = artifact_dir(name_or_path)
    card = read_card(folder)
    fix = (
        f"The artifact in {folder} is damaged or was changed after export: "
        f"restore it (`git checkout -- {folder}`) or re-export it with `aezoo export`."
    )
    for relative, expected in card["files"].items():
        path = folder / relative
        if not path.is_file():
            raise ArtifactError(f"{relative} is missing. {fix}")
        size = path.stat().st_size
        if size != expected.get("bytes"):
            raise ArtifactError(
                f"{relative} has {size} bytes, the card says {expected.get('bytes')}. {fix}"
            )
        if sha256(path) != expected.get("sha256"):
            raise ArtifactError(f"{relative} does not match its sha256 in {CARD}. {fix}")
    listed = set(card["files"]) | {CARD}
    for path in folder.rglob("*"):
        if path.is_file() and path.relative_to(folder).as_posix() not in listed:
            raise ArtifactError(
                f"{path.relative_to(folder).as_posix()} is not listed in {CARD}. {fix}"
            )
    for needed in (KERAS_FILE, f"{SAVED_MODEL_DIR}/saved_model.pb"):
        if needed not in card["files"]:
            raise ArtifactError(f"{CARD} lists no {needed}. {fix}")
    return card


class SavedModelFunction:
    """The `serve` endpoint of an exported SavedModel as a callable.

    Call it on a float32 batch; it returns a dict of named numpy outputs.
    Holds the loaded SavedModel so that its variables stay alive.

    Attributes:
        card: the artifact's card.
        signature: the card's signature (input and output names and shapes).
    """

    def __init__(self, folder, card):
        import tensorflow as tf

        self._saved_model = tf.saved_model.load(str(folder / SAVED_MODEL_DIR))
        self._serve = self._saved_model.signatures["serving_default"]
        self.card = card
        self.signature = card.get("signature", {})
        (self.input_name,) = self.signature.get("inputs", {"inputs": None})

    def __call__(self, x):
        outputs = self._serve(**{self.input_name: x})
        return {key: value.numpy() for key, value in outputs.items()}


def load(name_or_path, *, format="keras", verify_files=True):
    """Loads a trained model by name (from `artifacts/`) or from a folder.

    Every file is checked against the sha256 in the card first; a changed,
    missing or truncated file is refused. The `.keras` file is loaded with
    `safe_mode=True`.

    Args:
        name_or_path: a registered model name, or an artifact folder.
        format: `"keras"` (a `keras.Model`) or `"saved_model"` (a callable
            on the SavedModel's serving signature; see `SavedModelFunction`).
        verify_files: check the sha256 of every file first. Defaults to
            `True`; turn off only for files you just made yourself.

    Returns:
        A `keras.Model`, or a `SavedModelFunction`.

    Example:

    ```python
    model = aezoo.load("conv_autoencoder")
    reconstructions = aezoo.predict(model, images)
    serve = aezoo.load("conv_autoencoder", format="saved_model")
    outputs = serve(images)  # {"reconstruction": ...}
    ```
    """
    if format not in FORMATS:
        raise ArtifactError(f"format must be one of {FORMATS}. Received: format={format!r}")
    folder = artifact_dir(name_or_path)
    card = verify(folder) if verify_files else read_card(folder)
    if format == "saved_model":
        return SavedModelFunction(folder, card)
    import keras

    import aezoo  # noqa: F401  (registers the layers the file refers to)

    return keras.saving.load_model(folder / KERAS_FILE, safe_mode=True)
