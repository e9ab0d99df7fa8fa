"""The inspector's page for a night (HTML with inline SVG charts), read from the analysts' snapshot."""
