"""Image or video frame -> decoded codes -> what they say; the scanning station and its sinks.

Imports nothing from ``tracker``: the CLI, the web app and the station all reuse it.
"""

from scanner.decode import Hit, decode

__all__ = ["Hit", "decode"]
