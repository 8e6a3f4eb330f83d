package llm

import "strings"

// EstimateTokens is a conservative token count: about one token per three
// characters or per word, whichever is more.
func EstimateTokens(s string) int {
	return max(len(s)/3, len(strings.Fields(s))) + 1
}
