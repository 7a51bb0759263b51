"""Services: what commands, the campaign and the dashboard call to read and change an event."""
