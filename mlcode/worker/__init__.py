"""Worker side: runs one build of user code in a worker process (the only importer of
scikit-learn, pandas and joblib); its task values, pinned environment and lifeline."""
