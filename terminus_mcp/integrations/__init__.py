"""Registering terminus-mcp with MCP clients, and telling the main agent when to delegate.

``clients`` describes each client's configuration file, ``installer`` writes an entry into one
safely, and ``instructions`` holds the instruction block for the main agent.
"""
