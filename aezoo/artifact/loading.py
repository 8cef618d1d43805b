"""`load`: a trained model from `artifacts/` or an exported folder, after
checking the card against `card.json.sha256` and every file against the
sha256 in the card."""

import json
import os
import pathlib
import posixpath
import re
import subprocess

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
        raise ArtifactError(_no_artifact_message(name, path))
    return path


def _no_artifact_message(name, path):
    if not os.environ.get(ARTIFACTS_ENV_VAR) and not path.parent.is_dir():
        # An installed wheel: the trained models (~20 MB) are not in it.
        return (
            f"No trained artifact for {name!r}: this installation of aezoo has no "
            f"artifacts folder (a wheel does not ship the trained models). Set "
            f"{ARTIFACTS_ENV_VAR} to the `artifacts/` folder of an aezoo checkout, or "
            f"train and export one (`aezoo train {name} && aezoo export "
            f"runs/{name}-default --out runs/{name}-artifact`) and load that folder."
        )
    where = f"{path.parent} (${ARTIFACTS_ENV_VAR})" if os.environ.get(ARTIFACTS_ENV_VAR) else path.parent
    return (
        f"No trained artifact for {name!r} in {where}. Train and "
        f"export one: `aezoo train {name} && aezoo export runs/{name}-default "
        f"--out {path}` (or set {ARTIFACTS_ENV_VAR})."
    )


def _restore_hint(path):
    """How to get a damaged artifact file or folder back: `git checkout`
    only where a git repository tracks it, else a new export."""
    if _tracked_by_git(path):
        return f"restore it (`git checkout -- {path}`) or re-export it with `aezoo export`"
    return "re-export it with `aezoo export`"


def _tracked_by_git(path):
    path = pathlib.Path(path).resolve()
    folder = path if path.is_dir() else path.parent
    if not any((parent / ".git").exists() for parent in (folder, *folder.parents)):
        return False
    try:
        listed = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "--", str(path)],
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and bool(listed.stdout.strip())


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
            f"{card_path} is not valid JSON ({error}): {_restore_hint(card_path)}."
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
        f"{_restore_hint(folder)}."
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
    return load_keras_file(folder / KERAS_FILE)


def load_keras_file(path):
    """`keras.saving.load_model(path, safe_mode=True)` with aezoo's layers,
    losses and metrics registered.

    Raises:
        ArtifactError: the file names a class that no imported package
            registered (one line naming it, instead of Keras' traceback).
    """
    import keras

    import aezoo.layers  # noqa: F401  (registers the layers the file refers to)
    import aezoo.losses  # noqa: F401  (and the losses and metrics)

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except TypeError as error:
        message = unknown_class_message(error, path)
        if message is None:
            raise
        raise ArtifactError(message) from None


def load_float32(path):
    """A `.keras` file (an artifact's, or a run's checkpoint) as an artifact
    ships it: `load_keras_file(path)`, made float32 by
    `aezoo.artifact.precision.float32_copy` if it was saved under a mixed
    dtype policy (a recipe's `fit.dtype_policy`). What `aezoo evaluate`
    and the benchmarks measure, so their figures are the artifact's."""
    from aezoo.artifact.precision import float32_copy

    return float32_copy(load_keras_file(path))


def unknown_class_message(error, path=None):
    """A one-line message for Keras' "Could not locate class" error (which
    it raises, or wraps, with the whole model config), else `None`."""
    found = re.search(r"Could not locate (\w+) '([^']+)'", str(error))
    if found is None:
        return None
    kind, name = found.groups()
    registered = re.search(r"'registered_name': '([^']+)'", str(error)[found.end():])
    registered = f" (registered as {registered.group(1)!r})" if registered else ""
    source = f"{path} names" if path else "The model file names"
    return (
        f"{source} the Keras {kind} {name!r}{registered}, which no imported package "
        f"provides: `import aezoo` registers aezoo's own; a plugin's must be installed "
        f"and imported (or listed in the `aezoo.models` entry points) before loading."
    )
