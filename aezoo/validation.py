"""Argument checks shared by every part of aezoo.

Each check raises `ValueError` naming the argument, what it must be and
what it received, in Keras' style:

```
`units` must be an integer >= 1 and <= 65536. Received: units=0
```

and returns the value in its plain Python type, so that a NumPy integer
or float leaves the check as an `int` or a `float`.

A leaf module: it imports nothing of aezoo (nor Keras), so that layers,
models, data, training and tuning may all import it.
"""

import math
import numbers


def check_int(name, value, minimum=1, maximum=None, *, restate_type=True):
    """Returns `value` as an `int`; raises unless it is an integer in range.

    Args:
        name: the argument's name, for the message.
        value: the value to check. Booleans are not integers here.
        minimum: the smallest valid value. Defaults to 1.
        maximum: the largest valid value, or `None` for no bound.
            Defaults to `None`.
        restate_type: when `False`, an integer out of range is told only
            the bound it misses (`must be >= 1`), the wording of the
            datasets' arguments. Defaults to `True` (`must be an integer
            >= 1`).

    Returns:
        `value` as an `int`.

    Raises:
        ValueError: `value` is not an integer, or out of range.

    Example:

    ```python
    check_int("units", 64, maximum=1024)  # 64
    check_int("units", 0)  # ValueError: `units` must be an integer >= 1. Received: units=0
    ```
    """
    bounds = _integer_bounds(minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(name, value, f"an integer {bounds}")
    if value < minimum or (maximum is not None and value > maximum):
        _fail(name, value, f"an integer {bounds}" if restate_type else bounds)
    return int(value)


def check_float(name, value, minimum=0.0, maximum=math.inf, *, strict=False, allow_none=False):
    """Returns `value` as a `float`; raises unless it is a finite number in range.

    Args:
        name: the argument's name, for the message.
        value: the value to check. Booleans are not numbers here; `nan`
            and `inf` are refused.
        minimum: the smallest valid value. Defaults to 0.0.
        maximum: the (excluded) upper bound. Defaults to `math.inf`.
        strict: exclude `minimum` itself. Defaults to `False`.
        allow_none: accept `None` (returned as is). Defaults to `False`.

    Returns:
        `value` as a `float`, or `None`.

    Raises:
        ValueError: `value` is not a number, or out of range.

    Example:

    ```python
    check_float("learning_rate", 1e-3, strict=True)  # 0.001
    check_float("fraction", 1.5, maximum=1.0)
    # ValueError: `fraction` must be a number in [0.0, 1.0). Received: fraction=1.5
    ```
    """
    if value is None and allow_none:
        return None
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    above = number and (value > minimum if strict else value >= minimum)
    if not (above and value < maximum and math.isfinite(value)):
        if maximum == math.inf:
            requirement = f"a finite number {'>' if strict else '>='} {minimum}"
        else:
            requirement = f"a number in {'(' if strict else '['}{minimum}, {maximum})"
        _fail(name, value, requirement + (" or None" if allow_none else ""))
    return float(value)


def check_bool(name, value):
    """Returns `value`; raises unless it is `True` or `False`.

    Raises:
        ValueError: `value` is not a `bool`.
    """
    if not isinstance(value, bool):
        _fail(name, value, "True or False")
    return value


def check_choice(name, value, choices, *, received_first=False):
    """Returns `value`; raises unless it is one of `choices`.

    Args:
        name: the argument's name, for the message.
        value: the value to check.
        choices: the valid values, in the order the message lists them.
        received_first: when `True`, the message gives the value first and
            the valid choices after it (`Invalid value for ... Valid
            choices: ...`), the wording of the datasets' arguments.
            Defaults to `False` (`must be one of ...`).

    Returns:
        `value`.

    Raises:
        ValueError: `value` is not one of `choices`.

    Example:

    ```python
    check_choice("padding", "same", ("same", "valid"))  # "same"
    ```
    """
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        if received_first:
            raise ValueError(
                f"Invalid value for `{name}`. Received: {name}={value!r}. "
                f"Valid choices: {listed}."
            )
        _fail(name, value, f"one of {listed}")
    return value


def check_int_tuple(name, value, minimum=1, length=None, maximum=None):
    """Returns `value` as a tuple of `int`s; raises unless it is a non-empty
    list or tuple of integers in range (of `length` items, when given).

    Args:
        name: the argument's name, for the message.
        value: the list or tuple to check.
        minimum: the smallest valid item. Defaults to 1.
        length: the number of items required, or `None` for any number
            but zero. Defaults to `None`.
        maximum: the largest valid item, or `None` for no bound.
            Defaults to `None`.

    Returns:
        A tuple of `int`s.

    Raises:
        ValueError: `value` is not such a list or tuple.

    Example:

    ```python
    check_int_tuple("filters", [16, 32], length=2)  # (16, 32)
    ```
    """
    items = tuple(value) if isinstance(value, (list, tuple)) else ()
    valid = bool(items) and (length is None or len(items) == length) and all(
        isinstance(item, numbers.Integral)
        and not isinstance(item, bool)
        and item >= minimum
        and (maximum is None or item <= maximum)
        for item in items
    )
    if not valid:
        count = "a non-empty list of" if length is None else str(length)
        _fail(name, value, f"{count} integers {_integer_bounds(minimum, maximum)}")
    return tuple(int(item) for item in items)


def _integer_bounds(minimum, maximum):
    return f">= {minimum}" + ("" if maximum is None else f" and <= {maximum}")


def _fail(name, value, requirement):
    raise ValueError(f"`{name}` must be {requirement}. Received: {name}={value!r}")
