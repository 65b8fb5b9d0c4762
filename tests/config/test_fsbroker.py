"""The development broker never hands a worker a half-written message."""

from __future__ import annotations

from pathlib import Path
from queue import Empty

from kombu import Connection
from kombu.transport import filesystem

from config import fsbroker


def _connection(folder: Path) -> Connection:
    return Connection(
        "filesystem://",
        transport="config.fsbroker:Transport",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    )


# Kombu keeps declared queues in a state shared by every connection of a
# transport: each test declares its own queue.


def test_a_message_is_whole_when_it_appears(tmp_path):
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("whole")
        queue.put({"batch_id": 7, "note": "世界"})

        names = [p.name for p in tmp_path.iterdir() if p.is_file()]
        assert len(names) == 1 and names[0].endswith(".whole.msg")
        assert queue.get(timeout=1).payload == {"batch_id": 7, "note": "世界"}
        queue.close()


def test_a_message_still_being_written_is_not_taken(tmp_path):
    """The name a message is written under is one readers skip: the fix
    rests on kombu matching ``<queue>.msg`` exactly (guards against kombu
    changing that; the race itself is the next test)."""
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("jobs")
        # What a writer leaves while it writes: a partial file under the
        # name the readers skip (kombu's own transport wrote in place).
        (tmp_path / "1_writer.jobs.msg.part").write_bytes(b'{"body": "tru')
        queue.put({"n": 1})

        assert queue.get(timeout=1).payload == {"n": 1}
        assert (tmp_path / "1_writer.jobs.msg.part").exists()
        queue.close()


def test_a_reader_looking_while_a_message_is_written_takes_nothing(
    tmp_path, monkeypatch
):
    with _connection(tmp_path) as connection:
        channel = connection.default_channel
        looked: list[str] = []
        encode = fsbroker.dumps

        def encode_while_a_reader_looks(payload):
            try:
                channel._get("midway")
            except Empty:
                looked.append("nothing")
            except ValueError:  # kombu's own transport: an empty file
                looked.append("half a message")
            else:
                looked.append("a message")
            return encode(payload)

        monkeypatch.setattr(fsbroker, "dumps", encode_while_a_reader_looks)
        monkeypatch.setattr(filesystem, "dumps", encode_while_a_reader_looks)
        channel._put("midway", {"n": 1})

        assert looked == ["nothing"]
        assert channel._get("midway") == {"n": 1}
