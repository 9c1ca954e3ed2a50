"""Questions and answers: passages from the KB and faq.yaml, BM25 retrieval, refusals, evaluation."""
