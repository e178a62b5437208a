"""The subagent loop: what the model is told, how its replies are read, and how a task ends."""
