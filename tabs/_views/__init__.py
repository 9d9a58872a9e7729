"""Plain data -> what gradio shows: HighlightedText values (highlight), matplotlib figures (figures), bertviz's
views (bertviz), gr.BarPlot data (charts), HTML tables (tables). Data a client sends back is checked first
(received)."""
