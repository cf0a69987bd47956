"""The resolved asset model and its vocabulary: positions and problems, the `{placeholder}`
grammar, topic types, the topic trie, the declarative specs and the namespace.

Imports nothing above `uns.errors`: config reads YAML into these types, lint and the pipeline
read them.
"""
