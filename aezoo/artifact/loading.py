"""`load`: a trained model from `artifacts/` or an exported folder, after
checking the card against `card.json.sha256` and every file against the
sha256 in the card."""

import json
import os
import pathlib
import posixpath

from aezoo import registry
from aezoo.artifact.artifact import CARD
from aezoo.artifact.artifact import CARD_HASH
from aezoo.artifact.artifact import KERAS_FILE
from aezoo.artifact.artifact import SAVED_MODEL_DIR
from aezoo.artifact.artifact import recover_interrupted
from aezoo.artifact.artifact import sha256
from aezoo.artifact.artifact import write_card_hash
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
    """Checks an artifact: its card against `card.json.sha256`, and every
    file against the card's sha256 and size.

    Returns:
        The card.

    Raises:
        ArtifactError: naming the card, or the first missing, changed,
            unexpected or out-of-folder file.
    """
    folder = artifact_dir(name_or_path)
    card = read_card(folder)
    fix = (
        f"The artifact in {folder} is damaged or was changed after export: "
        f"restore it (`git checkout -- {folder}`) or re-export it with `aezoo export`."
    )
    card_hash = folder / CARD_HASH
    if not card_hash.is_file():
        raise ArtifactError(
            f"{CARD_HASH} is missing, so nothing vouches for {CARD}. {fix} (An artifact "
            f"exported before cards were covered: if you trust it, "
            f"`aezoo.artifact.seal({str(folder)!r})` adds the hash.)"
        )
    if card_hash.read_text(errors="replace").split()[:1] != [sha256(folder / CARD)]:
        raise ArtifactError(f"{CARD} does not match its sha256 in {CARD_HASH}. {fix}")
    _verify_files(folder, card, fix)
    return card


def seal(name_or_path):
    """Writes `card.json.sha256` for an artifact exported before the card
    was covered, after checking every file the card lists.

    Returns:
        The card.

    Example:

    ```python
    for name in aezoo.list_models():
        aezoo.artifact.seal(name)
    ```
    """
    folder = artifact_dir(name_or_path)
    card = read_card(folder)
    _verify_files(folder, card, f"{folder} is not the artifact its card describes; re-export it.")
    write_card_hash(folder)
    return card


def _verify_files(folder, card, fix):
    for relative, expected in card["files"].items():
        path = _listed_path(folder, relative, fix)
        if not isinstance(expected, dict):
            raise ArtifactError(
                f"{CARD} lists {relative!r} with {expected!r}, not {{sha256, bytes}}. {fix}"
            )
        if not path.is_file():
            raise ArtifactError(f"{relative} is missing. {fix}")
        size = path.stat().st_size
        if size != expected.get("bytes"):
            raise ArtifactError(
                f"{relative} has {size} bytes, the card says {expected.get('bytes')}. {fix}"
            )
        if sha256(path) != expected.get("sha256"):
            raise ArtifactError(f"{relative} does not match its sha256 in {CARD}. {fix}")
    listed = set(card["files"]) | {CARD, CARD_HASH}
    for path in folder.rglob("*"):
        if path.is_file() and path.relative_to(folder).as_posix() not in listed:
            raise ArtifactError(
                f"{path.relative_to(folder).as_posix()} is not listed in {CARD}. {fix}"
            )
    for needed in (KERAS_FILE, f"{SAVED_MODEL_DIR}/saved_model.pb"):
        if needed not in card["files"]:
            raise ArtifactError(f"{CARD} lists no {needed}. {fix}")


def _listed_path(folder, relative, fix):
    """The file a card's `files` key names, refused when the key is not a
    relative path that stays in the folder (no `..`, no symlink out)."""
    parts = relative.split("/")
    if (
        not relative
        or posixpath.isabs(relative)
        or pathlib.PureWindowsPath(relative).drive
        or "\\" in relative
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ArtifactError(
            f"{CARD} lists {relative!r}, which is not a relative path inside the artifact. {fix}"
        )
    path = folder.joinpath(*parts)
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ArtifactError(f"{CARD} lists {relative!r}, which leads out of {folder}. {fix}")
    return path


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
