// Package rag is Herald's engine: it answers questions about dated news
// articles and summarises them, backing every claim with a numbered, dated
// citation. It is the facade that the bot and the command line use.
//
// A question is read for its dates (dates), its passages retrieved from
// the store of record (retrieve over a store.Archive), and its answer
// written (answer); summaries are written by summary. ARCHITECTURE.md
// follows a question and an article through these packages.
package rag
