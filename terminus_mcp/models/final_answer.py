"""The ``<final_answer>`` block a model ends a task with: where it is in a reply, and its text.

Kept apart from the rest of reply parsing (:mod:`terminus_mcp.models.replies`) because the reply
type itself (:class:`terminus_mcp.models.base.ModelReply`) reads its answer with it.
"""

from __future__ import annotations

import re

FINAL_OPEN = "<final_answer>"
FINAL_CLOSE = "</final_answer>"
_FINAL = re.compile(r"<final_answer>(.*?)</final_answer>", re.DOTALL)


def extract_final_answer(text: str) -> str | None:
    """The ``<final_answer>`` block, normalized to open and close on lines of their own.

    The last complete block wins; an unclosed block running to the end of the text (the reply
    ran out of tokens) is accepted. An empty block is no answer.
    """
    blocks = _FINAL.findall(text)
    if blocks:
        inner = blocks[-1]
    elif FINAL_OPEN in text:
        inner = text.rsplit(FINAL_OPEN, 1)[1]
    else:
        return None
    inner = inner.strip()
    if not inner:
        return None
    return f"{FINAL_OPEN}\n{inner}\n{FINAL_CLOSE}"


def split_final(text: str) -> tuple[str, str, str]:
    """The text before the first ``<final_answer>``, the block up to the *last* close tag (an
    answer may quote a forged block), and the text after it; an unclosed block runs to the end.
    """
    start = text.find(FINAL_OPEN)
    if start < 0:
        return text, "", ""
    end = text.rfind(FINAL_CLOSE, start)
    end = len(text) if end < 0 else end + len(FINAL_CLOSE)
    return text[:start], text[start:end], text[end:]
