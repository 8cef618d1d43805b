"""What `aezoo.load` tells a user about a missing or damaged artifact.

The artifacts here are fake (a few bytes each, with a real card and card
hash): `verify` reads hashes only, so no model is built.
"""

import json
import shutil
import subprocess

import pytest

import aezoo
from aezoo.artifact import ArtifactError
from aezoo.artifact import loading
from aezoo.artifact import verify
from aezoo.artifact.artifact import file_digests
from aezoo.artifact.artifact import write_card_hash


def _fake_artifact(folder):
    (folder / "saved_model").mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"weights")
    (folder / "saved_model" / "saved_model.pb").write_bytes(b"graph")
    card = {"model": "mlp_autoencoder", "files": file_digests(folder)}
    (folder / "card.json").write_text(json.dumps(card))
    write_card_hash(folder)
    assert verify(folder) == card
    return folder


def _damage(folder):
    (folder / "model.keras").write_bytes(b"weightz")


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_a_damaged_artifact_outside_a_repository_is_re_exported_not_checked_out(tmp_path):
    folder = _fake_artifact(tmp_path / "artifact")
    _damage(folder)
    with pytest.raises(ArtifactError, match="model.keras does not match") as error:
        aezoo.load(folder)
    assert "git checkout" not in str(error.value)
    assert str(error.value).endswith("re-export it with `aezoo export`.")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_checkout_is_suggested_only_for_a_tracked_artifact(tmp_path):
    _git("init", "-q", ".", cwd=tmp_path)
    tracked = _fake_artifact(tmp_path / "artifacts" / "mlp")
    untracked = _fake_artifact(tmp_path / "runs" / "mlp")  # e.g. an ignored export
    _git("add", "artifacts", cwd=tmp_path)
    _damage(tracked)
    _damage(untracked)
    with pytest.raises(ArtifactError, match=f"restore it \\(`git checkout -- {tracked}`\\)"):
        aezoo.load(tracked)
    with pytest.raises(ArtifactError) as error:
        aezoo.load(untracked)
    assert "git checkout" not in str(error.value)
    (tracked / "card.json").write_text("{not json")
    with pytest.raises(ArtifactError, match=f"`git checkout -- {tracked / 'card.json'}`"):
        aezoo.load(tracked)


def test_a_name_without_an_artifacts_folder_names_the_variable(tmp_path, monkeypatch):
    # An installed wheel: no artifacts/ beside the package, no AEZOO_ARTIFACTS.
    monkeypatch.delenv(loading.ARTIFACTS_ENV_VAR, raising=False)
    monkeypatch.setattr(loading, "artifacts_root", lambda: tmp_path / "nowhere")
    with pytest.raises(ArtifactError, match="has no artifacts folder") as error:
        aezoo.load("mlp_autoencoder")
    assert "Set AEZOO_ARTIFACTS to the `artifacts/` folder" in str(error.value)
    assert str(error.value).count("\n") == 0
    monkeypatch.undo()  # the real artifacts_root again, which reads the variable
    monkeypatch.setenv(loading.ARTIFACTS_ENV_VAR, str(tmp_path))
    with pytest.raises(ArtifactError, match=f"in {tmp_path} \\(\\$AEZOO_ARTIFACTS\\)"):
        aezoo.load("mlp_autoencoder")
    _fake_artifact(tmp_path / "mlp_autoencoder")
    assert verify("mlp_autoencoder")["model"] == "mlp_autoencoder"
