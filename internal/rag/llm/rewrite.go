package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

const rewriteSystem = `You rewrite a follow-up question from a conversation about news into one standalone question that can be searched for.
Keep names, places and dates from the earlier questions that the follow-up refers to. Reply with the question only.`

// Rewrite turns a follow-up ("and what about energy?") into a standalone
// question, given the conversation's previous questions, oldest first.
func (l *Client) Rewrite(ctx context.Context, previous []string, followUp string) (string, error) {
	res, err := l.Chat(ctx, ChatRequest{Task: TaskRewrite, System: rewriteSystem, User: RewritePrompt(previous, followUp), MaxTokens: 80})
	if err != nil {
		return "", err
	}
	q := strings.TrimSpace(strings.Trim(strings.TrimSpace(res.Text), `"`))
	if q == "" || len(q) > 500 {
		return "", errors.New("the model gave no usable question")
	}
	return q, nil
}

// RewritePrompt is the user message of a rewrite: the earlier questions,
// one a line, and the follow-up.
func RewritePrompt(previous []string, followUp string) string {
	var b strings.Builder
	for i, p := range previous {
		fmt.Fprintf(&b, "Earlier question %d: %s\n", i+1, oneLine(p))
	}
	fmt.Fprintf(&b, "Follow-up: %s\nStandalone question:", oneLine(followUp))
	return b.String()
}

// ParseRewritePrompt reads what RewritePrompt wrote (for fake servers).
func ParseRewritePrompt(prompt string) (previous []string, followUp string) {
	for _, line := range strings.Split(prompt, "\n") {
		if rest, ok := strings.CutPrefix(line, "Earlier question "); ok {
			if _, q, ok := strings.Cut(rest, ": "); ok {
				previous = append(previous, q)
			}
		} else if q, ok := strings.CutPrefix(line, "Follow-up: "); ok {
			followUp = q
		}
	}
	return previous, followUp
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
