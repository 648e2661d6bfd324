"""The frozen bundle's entry point: the same `qcstation` command as the installed package."""

import sys

from qcstation.cli import main

if __name__ == "__main__":
    # Output piped to a file or a CI log on Windows is in the ANSI code page: a name or
    # path it cannot show must come out as "?", not end the run with UnicodeEncodeError.
    # (A windowed executable has no streams at all: None.)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    sys.exit(main())
