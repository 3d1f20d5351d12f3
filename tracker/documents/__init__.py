"""The papers mediatrail issues (預り証, 移送記録, 台帳 …) as PDF.

Every paper is built from rows the ledger has already recorded, never from request data: a form
field typed a moment ago may never have happened, while a projected row is what ``verify()``
replays from the hash chain. That is what lets each paper print the ledger position and head
hash it was made from, and lets anyone holding the paper check it against the ledger later.
The same rows and the same :class:`~tracker.documents.paper.Issue` give the same bytes, so a
re-issued file can be compared with the one kept as an attachment.
"""
