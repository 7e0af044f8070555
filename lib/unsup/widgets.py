"""Interactive explorers. Functions here return ipywidgets (live with a kernel) or HTML strings with
embedded JavaScript (live in the rendered book, no kernel). Nothing is displayed at import."""

from __future__ import annotations
