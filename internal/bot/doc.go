// Package bot serves Herald on Discord: slash commands, a message command,
// @mentions, DMs and follow-ups in the bot's threads, each answered with
// numbered, dated citations.
//
// It keeps Discord's rules: the first response to an interaction within
// 3 seconds (a fast answer is sent directly, a slow one deferred and edited),
// every length limit, and no mention ever parsed.
package bot
