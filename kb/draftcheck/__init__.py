"""对照检查: a drafter's report checked against what peer reports say.

The draft is parsed like a report (:mod:`kb.draftcheck.draft`), each paragraph is matched to
peer passages of the same section kind (:mod:`kb.draftcheck.peers`), the measures many peers
report and the draft leaves out are found (:mod:`kb.draftcheck.gaps`), and paragraphs made
mostly of formulas are flagged. Everything happens in memory: the draft is never stored,
indexed or logged (:mod:`kb.draftcheck.check`).
"""

from kb.draftcheck.check import CheckOptions, CheckResult, check_draft
from kb.draftcheck.draft import Draft, DraftParagraph, parse_draft

__all__ = [
    "CheckOptions",
    "CheckResult",
    "Draft",
    "DraftParagraph",
    "check_draft",
    "parse_draft",
]
