"""Reports in the reader's language, for every interface: words, numbers and times (``l10n``),
quality details restated (``details``), reports as tables (``sheets``) and those tables as CSV
and XLSX (``exports``). The command line prints them; the HTTP API serves them."""
