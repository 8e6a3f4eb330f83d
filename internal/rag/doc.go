// Package rag indexes news chunks and answers questions about them with
// numbered, dated citations.
//
// An [Index] keeps every article, chunk and vector in memory, beside a BM25
// lexical index and a [VectorStore] (chromem-go by default), and persists
// crash-safe snapshots. An [Engine] turns questions into date filters, runs
// hybrid retrieval and hands the passages to an [Answerer]; the built-in
// [Extractive] answerer works offline.
package rag
