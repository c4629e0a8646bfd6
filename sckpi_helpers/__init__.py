"""sckpi — evaluate smart-city policies the way the Cabinet Office's KPI guideline asks.

The package holds the library; notebooks under ``notebooks/`` only call it.

Stage 0 (foundation): imports nothing from the package.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sckpi")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
