"""The content owners' analytics: what people asked, what failed, what they thought of the answers.

`store` reads Rasa's SQL tracker store, `figures` turns its events into the report's figures,
`grouping` groups failed questions by lemmas, `html` renders the report, `review` turns failed
questions into training data, `cli` holds the `advisor report` / `advisor review` handlers.
"""
