"""Task 4.1's hidden tests: ``checks`` (the entry points the notebook's test cells call), ``contract``
(each class's properties) and ``diagnoses`` (the mistakes they can name)."""
