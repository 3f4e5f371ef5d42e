"""The frozen program's entry point: `guidedesk` as installed by pip (app.__main__:main)."""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
