"""GuideDesk's non-code files: style sheets, icons, translations (see ``resources.paths``)."""
