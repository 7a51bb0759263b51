"""The organiser's dashboard, as services: sign-in by one-time link (``signin``), read models (``overview``,
``attendees``, ``campaign``, ``broadcasts``) and the one entry point the web adapter calls (``service``)."""
