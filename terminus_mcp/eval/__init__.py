"""``terminus-mcp eval``: measure what delegation saves the main agent, on a suite of tasks.

A *suite* is a folder of task files (:mod:`~terminus_mcp.eval.suite`); each task is run in fresh
sandboxes, once as the main agent would run it itself (the *baseline*) and once delegated through
:class:`~terminus_mcp.service.TerminusService` (:mod:`~terminus_mcp.eval.runner`); the answers are
scored for key facts and tokens (:mod:`~terminus_mcp.eval.scoring`), optionally graded by a judge
model (:mod:`~terminus_mcp.eval.judge`), and reported (:mod:`~terminus_mcp.eval.report`).
"""
