"""kombu's filesystem transport, made safe for concurrent readers.

As shipped, ``_put`` creates the message file under its final name and then writes it,
so a worker polling the folder can move and read an empty or partial file (kombu#1551):
messages are lost and the worker can die on the empty payload. Here the payload goes to
a hidden temporary name first and is renamed into place; ``os.replace`` is atomic on one
filesystem, so a reader sees either nothing or the whole message.
"""

import os
import uuid
from pathlib import Path
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for folder in (self.data_folder_in, self.data_folder_out, self.control_folder):
            Path(folder).mkdir(parents=True, exist_ok=True)
        if self.store_processed:
            Path(self.processed_folder).mkdir(parents=True, exist_ok=True)

    # kombu's own filesystem.Channel renames the base's `message` to `payload` (and passes it
    # by position); this keeps filesystem's name.
    def _put(self, queue, payload, **kwargs):  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot keeps the partial file out of every queue's pattern.
        temporary = os.path.join(self.data_folder_out, f".tmp-{uuid.uuid4()}")
        try:
            with open(temporary, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
    global_state = filesystem.Transport.global_state
