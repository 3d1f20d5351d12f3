"""mediatrail's application: models, the ledger, workflows, documents, the web app and the CLI."""
