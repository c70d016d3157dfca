"""Signal processing shared by the host and the firmware references."""
