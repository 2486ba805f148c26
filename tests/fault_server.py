"""The real Flourish app under uvicorn, with one addition for the fault tests: it can stop dead in
the middle of a transaction, so that a test can kill it exactly there.

FLOURISH_TEST_PAUSE_ON holds a regular expression. Once an SQL statement matching it has run, the
worker writes its process id to the file named by FLOURISH_TEST_PAUSED_FILE and sleeps, holding
its transaction open with nothing committed, until it is killed. Only this entry point, which lives
in tests/, reads these variables; production code has no such hook.

    python -m tests.fault_server PORT
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar
from sqlalchemy import event

from core.logs import configure_logging
from core.settings import get_settings
from flourish.app import create_app


def build() -> Litestar:
    app = create_app()
    pattern = os.environ.get("FLOURISH_TEST_PAUSE_ON")
    if pattern:
        matcher = re.compile(pattern, re.IGNORECASE)
        marker = Path(os.environ["FLOURISH_TEST_PAUSED_FILE"])

        @event.listens_for(app.state.database.engine, "after_cursor_execute")
        def _stop_dead(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if matcher.search(statement):
                marker.write_text(str(os.getpid()))
                while True:
                    time.sleep(60)

    return app


if __name__ == "__main__":
    configure_logging(json_lines=get_settings().log_json)
    uvicorn.run(
        "tests.fault_server:build",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_config=None,
        access_log=False,
    )
