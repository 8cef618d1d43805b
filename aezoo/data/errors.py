"""The errors `aezoo.data` raises when a data source is missing or damaged."""


class DataNotFoundError(FileNotFoundError):
    """A data source is not there: a missing IDX file or directory, or a tfds
    dataset that is not prepared. The message names what was looked for and
    how to provide it."""


class IdxFormatError(ValueError):
    """An IDX file exists but cannot be used: bad gzip stream, wrong magic
    number, unexpected dimensions, truncated or oversized payload, or images
    and labels that disagree. The message names the file and the problem."""
