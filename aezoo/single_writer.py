"""One writer per folder: an exclusive `fcntl.flock` on a lock file.

`aezoo train` holds the lock of its run folder for the whole run, and
`aezoo export` the lock of its target; a second writer gets `WriterBusyError`
at once, naming the folder and the process holding it. The kernel releases a
`flock` when its holder exits or is killed, so a lock file left behind by a
dead process never blocks anyone: the next writer simply takes it.

The holder removes the lock file when it is done. A process that opened the
file just before that would lock a file no longer there, so a lock counts
only when the path still names the locked file; otherwise the lock is taken
again on the new file.
"""

import contextlib
import fcntl
import os
import pathlib


class WriterBusyError(ValueError):
    """Another process is writing the folder.

    A `ValueError`, so the command line reports it in one line (exit code 2).
    """


_held = set()  # the lock paths this process holds: `hold` is reentrant


@contextlib.contextmanager
def hold(lock_path, folder, hint="wait for it to finish, or choose another --out"):
    """Holds the exclusive lock `lock_path` that guards `folder`.

    Args:
        lock_path: the lock file (created, and removed when released; one
            left by a killed process is taken over).
        folder: the folder it guards, for the error message.
        hint: what the second writer can do, for the error message.

    Raises:
        WriterBusyError: another process holds the lock.

    Example:

    ```python
    with single_writer.hold(run_dir / "train.lock", run_dir):
        ...  # the only process writing run_dir
    ```
    """
    lock_path = pathlib.Path(lock_path).absolute()
    if lock_path in _held:
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = _lock(lock_path, folder, hint)
    try:
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        _held.add(lock_path)
        try:
            yield
        finally:
            _held.discard(lock_path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path)
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock


def _lock(lock_path, folder, hint):
    """A descriptor of `lock_path`, exclusively locked, that the path still names."""
    while True:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode(errors="replace").strip()
            os.close(descriptor)
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise WriterBusyError(
                f"{folder} is being written by {who} (lock {lock_path}); {hint}."
            ) from None
        try:
            if os.stat(lock_path).st_ino == os.fstat(descriptor).st_ino:
                os.ftruncate(descriptor, 0)  # a dead holder's process id
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)
