"""Developer tooling of this checkout (not part of the collection): hack.devenv, hack.demo, hack.collection_tree."""
