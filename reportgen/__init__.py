"""reportgen: customer-segmentation reports from a month's customer extract."""

__version__ = "0.1.0"
