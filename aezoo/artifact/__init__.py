"""Artifacts: export to `.keras` + TF SavedModel + `card.json`, verified
loading, and validated inference.

`export(model, out_dir)` writes an artifact atomically, `load(name_or_path)`
checks the card's and every file's sha256 before loading, `predict(model, x)`
validates the inputs against the model's contract first. `seal(name_or_path)`
adds the card's hash to an artifact exported before cards were covered.
"""

from aezoo.artifact.artifact import export
from aezoo.artifact.errors import ArtifactError
from aezoo.artifact.inference import InputError
from aezoo.artifact.inference import predict
from aezoo.artifact.inference import validate_inputs
from aezoo.artifact.loading import artifact_dir
from aezoo.artifact.loading import artifacts_root
from aezoo.artifact.loading import load
from aezoo.artifact.loading import read_card
from aezoo.artifact.loading import seal
from aezoo.artifact.loading import verify

# Named `artifact`, not `export` (ARCHITECTURE.md's sketch): a subpackage
# `aezoo.export` would shadow the function `aezoo.export` once imported.
