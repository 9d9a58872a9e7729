"""Plain data -> what gradio shows: HighlightedText values (highlight), matplotlib figures (figures), bertviz's
views (bertviz), gr.BarPlot data (charts), HTML tables (tables). Data a client sends back is checked first
(tabs/_received.py). Tabs use it as `from tabs import _views` and `_views.figures...`."""

from tabs._views import bertviz, charts, figures, highlight, tables

__all__ = ["bertviz", "charts", "figures", "highlight", "tables"]
