"""Everything that crosses the wire: the protocol, the terminal's sync engine, the HQ server."""
