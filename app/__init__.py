"""GuideDesk, the desktop workbench of a brand's in-store shopping guides (导购)."""

__version__ = "0.1.0"
