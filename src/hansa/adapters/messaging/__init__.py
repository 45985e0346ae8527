"""Customer message transports (email over SMTP); SMS and chat stay in the database until a
real gateway is configured."""
