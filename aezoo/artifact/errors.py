"""The error raised for missing, damaged or refused artifacts."""


class ArtifactError(ValueError):
    """An artifact is missing, damaged, or would be overwritten.

    A `ValueError`, so the command line reports it in one line (exit code 2).
    """
