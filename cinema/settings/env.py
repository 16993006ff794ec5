"""The one place where settings read the process environment.

Every setting that an operator may change comes from an environment variable read here,
with a default that suits a developer's machine (SQLite, no broker server). Production
settings refuse to start without the variables that have no safe default.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Runtime files of the embedded mode (SQLite database, broker folders, media, exports).
DATA_DIR = Path(env.str("MARQUEE_DATA_DIR", default=str(BASE_DIR / ".data"))).resolve()
