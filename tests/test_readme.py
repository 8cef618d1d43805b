"""The README's commands leave nothing untracked in a checkout: whatever they
write goes under a folder `.gitignore` ignores."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
IGNORED_FOLDERS = ("runs", "tuning")
# Options and calls that name something a command writes (`--dir` is the
# folder of `aezoo tune`, and what `saved_model_cli` reads).
OUTPUTS = re.compile(
    r"""(?:--out|--outdir|--picture|aezoo tune .*--dir)[ =](?P<option>\S+)"""
    r"""|aezoo\.export\([^,]+,\s*["'](?P<call>[^"']+)["']"""
)


def _code_blocks():
    return re.findall(r"```(?:bash|python)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def _outputs():
    found = []
    for block in _code_blocks():
        for line in block.splitlines():
            if line.lstrip().startswith("#"):
                continue
            for match in OUTPUTS.finditer(line):
                found.append(match.group("option") or match.group("call"))
    return found


def test_the_ignored_folders_are_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    for folder in IGNORED_FOLDERS:
        assert f"/{folder}/" in ignored


@pytest.mark.parametrize("path", _outputs())
def test_readme_commands_write_under_ignored_folders(path):
    assert pathlib.PurePosixPath(path).parts[0] in IGNORED_FOLDERS, (
        f"the README writes {path}, which `git status` would show: write it under "
        f"{' or '.join(f'{folder}/' for folder in IGNORED_FOLDERS)}"
    )
