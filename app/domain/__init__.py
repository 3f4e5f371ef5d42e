"""Pure domain values and rules shared by the terminal and HQ: no Qt, no SQL, no I/O."""
