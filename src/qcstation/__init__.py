"""qcstation: quality inspection station for jewelry manufacturing."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qcstation")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
