"""The subagent loop: what the model is told, how its calls are checked, and how a task ends."""
