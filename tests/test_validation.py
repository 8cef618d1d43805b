"""`aezoo.validation`: the argument checks every part of aezoo shares."""

import ast
import math
import pathlib

import numpy as np
import pytest

from aezoo import validation
from aezoo.data import _common as data_checks
from aezoo.models import common as model_checks


def test_it_is_a_leaf_importing_nothing_of_aezoo():
    tree = ast.parse(pathlib.Path(validation.__file__).read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and not [name for name in imported if name.split(".")[0] in ("aezoo", "keras")]


def test_models_and_data_use_its_checks():
    assert model_checks.check_int is validation.check_int
    assert model_checks.check_choice is validation.check_choice
    assert data_checks.check_number is validation.check_float


@pytest.mark.parametrize(
    "value, expected", [(3, 3), (np.int64(3), 3), (1, 1)],
)
def test_check_int_returns_a_python_int(value, expected):
    result = validation.check_int("units", value)
    assert result == expected and type(result) is int


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(value=0), r"^`units` must be an integer >= 1. Received: units=0$"),
        (dict(value=True), r"^`units` must be an integer >= 1. Received: units=True$"),
        (dict(value=2.0), r"^`units` must be an integer >= 1. Received: units=2.0$"),
        (dict(value=9, maximum=8), r"^`units` must be an integer >= 1 and <= 8. Received: units=9$"),
        (dict(value=-1, minimum=0), r"^`units` must be an integer >= 0. Received: units=-1$"),
        (dict(value=0, restate_type=False), r"^`units` must be >= 1. Received: units=0$"),
        (dict(value="2", restate_type=False), r"^`units` must be an integer >= 1. Received: units='2'$"),
    ],
)
def test_check_int_refuses(kwargs, message):
    with pytest.raises(ValueError, match=message):
        validation.check_int("units", **kwargs)


def test_check_float():
    assert validation.check_float("rate", 0) == 0.0
    assert validation.check_float("rate", np.float32(0.5), maximum=1.0) == 0.5
    assert validation.check_float("rate", None, allow_none=True) is None
    for value in (-0.1, math.nan, math.inf, True, "1"):
        with pytest.raises(ValueError, match=r"^`rate` must be a finite number >= 0.0. Received: rate="):
            validation.check_float("rate", value)
    with pytest.raises(ValueError, match=r"^`rate` must be a finite number > 0.0 or None. Received: rate=0$"):
        validation.check_float("rate", 0, strict=True, allow_none=True)
    with pytest.raises(ValueError, match=r"^`rate` must be a number in \[0.0, 1.0\). Received: rate=1.0$"):
        validation.check_float("rate", 1.0, maximum=1.0)


def test_check_bool():
    assert validation.check_bool("unroll", False) is False
    with pytest.raises(ValueError, match=r"^`unroll` must be True or False. Received: unroll=1$"):
        validation.check_bool("unroll", 1)


def test_check_choice_in_both_wordings():
    assert validation.check_choice("padding", "same", ("same", "valid")) == "same"
    with pytest.raises(
        ValueError, match=r"^`padding` must be one of 'same', 'valid'. Received: padding='full'$"
    ):
        validation.check_choice("padding", "full", ("same", "valid"))
    with pytest.raises(
        ValueError,
        match=r"^Invalid value for `split`. Received: split='dev'. Valid choices: 'train', 'test'.$",
    ):
        validation.check_choice("split", "dev", ("train", "test"), received_first=True)


def test_check_int_tuple():
    assert validation.check_int_tuple("filters", [16, np.int64(32)], length=2) == (16, 32)
    for value in ([], (16,), [16, 0], "16", [16, True]):
        with pytest.raises(ValueError, match=r"^`filters` must be 2 integers >= 1. Received: filters="):
            validation.check_int_tuple("filters", value, length=2)
    with pytest.raises(
        ValueError, match=r"^`filters` must be a non-empty list of integers >= 1 and <= 8. Received"
    ):
        validation.check_int_tuple("filters", [9], maximum=8)
