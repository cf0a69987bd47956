"""uns: the Unified Namespace contextualizer."""

__version__ = "0.1.0"

__all__ = ["__version__"]
