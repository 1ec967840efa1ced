"""What course and level files share: the schema (ids, keys, languages, areas,
occupations) and the reader that walks their YAML with line marks. Pure Python."""
