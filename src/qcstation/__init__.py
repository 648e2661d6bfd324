"""qcstation: quality inspection station for jewelry manufacturing."""

__version__ = "0.2.0"
