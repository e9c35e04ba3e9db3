"""Custom Rasa graph components: Polish/English tokenisation with lemmas, and term entities."""
