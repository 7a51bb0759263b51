"""Command handlers, one module per concept; :func:`bot.commands.registry.build_router` wires them."""
