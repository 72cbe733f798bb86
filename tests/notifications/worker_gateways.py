"""Gateways a real worker process loads by dotted path (`SMS_GATEWAY`) in the worker tests."""

import os
import time
from pathlib import Path

from notifications.gateways import Gateway


class HangingGateway(Gateway):
    """A provider that never answers. It marks a file when a send starts, so the test knows the
    worker holds its claim and can kill it there."""

    def send(self, to: str, body: str) -> str:
        Path(os.environ["HANGING_GATEWAY_MARK"]).write_text(to)
        time.sleep(3600)
        raise TimeoutError("the provider never answered")
