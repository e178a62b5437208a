"""Model backends behind one small seam (:mod:`terminus_mcp.models.base`), and the reading of
what a model replies (:mod:`terminus_mcp.models.replies`), which every backend does once."""
