import os

import pytest

from aezoo import single_writer
from aezoo.single_writer import WriterBusyError
from tests.lock_holder import held_elsewhere


def test_a_second_writer_is_refused_naming_the_folder_and_the_holder(tmp_path):
    lock = tmp_path / "run" / "train.lock"
    with held_elsewhere(lock, tmp_path / "run") as holder:
        with pytest.raises(WriterBusyError) as error:
            with single_writer.hold(lock, tmp_path / "run"):
                pass
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'run'} is being written by process {holder.pid} ")
    assert "\n" not in message and isinstance(error.value, ValueError)


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path):
    lock = tmp_path / "train.lock"
    with held_elsewhere(lock, tmp_path):
        pass  # killed with SIGKILL: its lock file stays, naming a dead process
    assert lock.exists()
    with single_writer.hold(lock, tmp_path):
        assert lock.read_text() == f"{os.getpid()}\n"
        with single_writer.hold(lock, tmp_path):  # reentrant in one process
            pass
        assert lock.exists()
    assert not lock.exists()  # released: removed
