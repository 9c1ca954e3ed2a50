"""The knowledge base: clinical content as validated YAML data, every statement with its sources."""

from calcitrack.kb.loader import KBError, KnowledgeBase, get_kb, kb_dir, load_kb

__all__ = ["KBError", "KnowledgeBase", "get_kb", "kb_dir", "load_kb"]
