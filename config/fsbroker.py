"""Kombu's file-system transport with messages written atomically.

The development broker (``make run`` without CELERY_BROKER_URL) keeps each
message in a file. Kombu writes the file in place, so a worker looking at
the folder can take a file before its writer has filled it and then fail
to decode it, which stops the worker and, under honcho, all of ``make
run`` (celery/kombu#1551). Here each message is written under a name the
readers ignore and renamed into place once complete (a rename within one
folder is atomic), so readers only ever see whole messages.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # kombu names the second argument ``message`` in the abstract channel and
    # ``payload`` in the filesystem one; no signature satisfies both.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # "<stamp>_<uuid>.<queue>.msg.part": readers match "<queue>.msg" only.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(
                f"Cannot add file {final!r} to directory"
            ) from exc


class Transport(filesystem.Transport):
    Channel = Channel
