"""Reading a statement: raw text, Markdown or HTML in, the statement's own words out.

The pipeline is moving here module by module (``inline`` first); see
``bot.clean`` and ``bot.clauses`` for the rest of it today.
"""
