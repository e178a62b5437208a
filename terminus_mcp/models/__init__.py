"""Model backends behind one small seam (:mod:`terminus_mcp.models.base`)."""
