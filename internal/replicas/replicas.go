// Package replicas keeps what the replicas of herald serve share beside
// the store of record, in the same Weaviate cluster: the votes on answers
// (bot.FeedbackLog), with the key that hashes user IDs alike on every
// replica, and the day's LLM token use (llm.Ledger), so that the budgets
// hold for all replicas together.
//
// What stays in each replica, and why: the rate limiter and the queue
// (each replica's own load; Discord sends a user's events to one shard),
// the answers behind the Sources and vote buttons (an answer is asked
// for on the shard that wrote it), and the thread memory, which is
// rebuilt from the thread itself.
package replicas

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/herald-news/herald/internal/bot"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"
)

// State is the replicas' shared state on Weaviate.
type State struct {
	archive         *weaviate.Archive
	feedback, usage string
	key             []byte
}

var (
	_ bot.FeedbackLog = (*State)(nil)
	_ llm.Ledger      = (*State)(nil)
)

// keyPrefix begins the description that holds the user-hashing key.
const keyPrefix = "Herald's user-hashing key: "

// legacyKeyID is the object of the Feedback collection that held the key
// before it moved to a collection of its own; a key found there is kept.
var legacyKeyID = uuid.NewSHA1(uuid.NameSpaceOID, []byte("herald feedback key")).String()

func prop(name, dataType, tokenization string, filterable bool) *models.Property {
	no := false
	p := &models.Property{Name: name, DataType: []string{dataType}, IndexFilterable: &filterable, IndexSearchable: &no}
	if tokenization != "" {
		p.Tokenization = tokenization
	}
	return p
}

// Open creates the collections beside the archive's when they are
// missing, and reads the user-hashing key (the first replica makes it).
func Open(ctx context.Context, archive *weaviate.Archive) (*State, error) {
	s := &State{archive: archive, feedback: archive.Collection("Feedback"), usage: archive.Collection("Usage")}
	noVectors := map[string]any{"skip": true}
	for _, class := range []*models.Class{
		{Class: s.feedback, Description: "Votes on Herald's answers", Vectorizer: "none", VectorIndexConfig: noVectors,
			Properties: []*models.Property{
				prop("time", "date", "", true), prop("vote", "text", "field", true), prop("user", "text", "field", true),
				prop("question", "text", "", false), prop("answer", "text", "", false), prop("citations", "text", "", false),
				prop("key", "text", "", false),
			}},
		{Class: s.usage, Description: "LLM tokens Herald used, by day and user", Vectorizer: "none", VectorIndexConfig: noVectors,
			Properties: []*models.Property{
				prop("day", "text", "field", true), prop("user", "text", "field", true), prop("tokens", "int", "", true), prop("at", "date", "", false),
			}},
	} {
		if err := archive.Ensure(ctx, class); err != nil {
			return nil, err
		}
	}
	key, err := s.readKey(ctx)
	if err != nil {
		return nil, err
	}
	s.key = key
	return s, nil
}

// readKey reads the user-hashing key, making it when there is none. The
// key is kept in the description of a collection of its own, because
// Weaviate creates a collection once (its schema goes through Raft): of
// two replicas that start at once, one makes the key and the other reads
// it. An object under a fixed ID would not do: two creates of one ID both
// succeed, the last winning, and each replica would keep its own key. The
// key of an older Herald, in such an object, is the one made, so that the
// users' hashes stay what they were.
func (s *State) readKey(ctx context.Context) ([]byte, error) {
	name := s.archive.Collection("FeedbackKey")
	found, err := s.keyDescription(ctx, name)
	if err == nil && found == "" {
		found, err = s.makeKey(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the feedback key from the collection %s: %w", name, err)
	}
	if !strings.HasPrefix(found, keyPrefix) {
		return nil, fmt.Errorf("reading the feedback key: the description of the collection %s is not a key", name)
	}
	key, err := hex.DecodeString(strings.TrimPrefix(found, keyPrefix))
	if err == nil && len(key) < 32 {
		err = fmt.Errorf("%d bytes, want 32", len(key))
	}
	if err != nil {
		return nil, fmt.Errorf("reading the feedback key from the description of the collection %s: %w", name, err)
	}
	return key, nil
}

// keyDescription is the description of the key's collection, "" when
// there is no such collection.
func (s *State) keyDescription(ctx context.Context, name string) (string, error) {
	var found string
	err := s.archive.Do(ctx, false, func(ctx context.Context, c *wv.Client, _ string) error {
		class, err := c.Schema().ClassGetter().WithClassName(name).Do(ctx)
		if notFound(err) {
			return nil
		}
		if err == nil {
			found = class.Description
		}
		return err
	})
	return found, err
}

// makeKey creates the key's collection, with an older Herald's key when
// there is one, and returns its description: the other replica's, when
// one created it first.
func (s *State) makeKey(ctx context.Context, name string) (string, error) {
	key, err := s.legacyKey(ctx)
	if err != nil {
		return "", err
	}
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	desc := keyPrefix + hex.EncodeToString(key)
	err = s.archive.Do(ctx, true, func(ctx context.Context, c *wv.Client, _ string) error {
		return c.Schema().ClassCreator().WithClass(&models.Class{
			Class: name, Description: desc, Vectorizer: "none", VectorIndexConfig: map[string]any{"skip": true},
		}).Do(ctx)
	})
	if exists(err) {
		return s.keyDescription(ctx, name)
	}
	return desc, err
}

// legacyKey reads the key an older Herald kept in an object of the
// Feedback collection; nil when there is none.
func (s *State) legacyKey(ctx context.Context) ([]byte, error) {
	var found string
	err := s.archive.Do(ctx, false, func(ctx context.Context, c *wv.Client, level string) error {
		objs, err := c.Data().ObjectsGetter().WithClassName(s.feedback).WithID(legacyKeyID).WithConsistencyLevel(level).Do(ctx)
		if notFound(err) {
			return nil
		}
		if err == nil && len(objs) > 0 {
			p, _ := objs[0].Properties.(map[string]any)
			found, _ = p["key"].(string)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the feedback key of an older Herald: %w", err)
	}
	if key, err := hex.DecodeString(found); err == nil && len(key) >= 32 {
		return key, nil
	}
	return nil, nil
}

// UserHash is a keyed hash of a user ID, the same on every replica.
func (s *State) UserHash(userID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// create writes one object under an ID made once, so that a write sent
// again after a failure that hid its success is written once.
func (s *State) create(ctx context.Context, class string, props map[string]any) error {
	id := uuid.NewString()
	err := s.archive.Do(ctx, true, func(ctx context.Context, c *wv.Client, level string) error {
		_, err := c.Data().Creator().WithClassName(class).WithID(id).WithProperties(props).WithConsistencyLevel(level).Do(ctx)
		if exists(err) {
			return nil
		}
		return err
	})
	return err
}

// Record stores a vote.
func (s *State) Record(ctx context.Context, fb bot.Feedback) error {
	cites, _ := json.Marshal(fb.Citations)
	err := s.create(ctx, s.feedback, map[string]any{
		"time": fb.Time.UTC().Format(time.RFC3339Nano), "vote": fb.Vote, "user": fb.User,
		"question": fb.Question, "answer": fb.Answer, "citations": string(cites),
	})
	if err != nil {
		return fmt.Errorf("recording feedback: %w", err)
	}
	return nil
}

// Counts counts the votes of every replica.
func (s *State) Counts(ctx context.Context) (up, down int, err error) {
	q := fmt.Sprintf(`{Aggregate{up:%[1]s(where:{path:["vote"],operator:Equal,valueText:"up"}){meta{count}} down:%[1]s(where:{path:["vote"],operator:Equal,valueText:"down"}){meta{count}}}}`, s.feedback)
	var res aggregate
	if err := s.archive.Query(ctx, q, &res); err != nil {
		return 0, 0, fmt.Errorf("counting feedback: %w", err)
	}
	return res.count("up"), res.count("down"), nil
}

// Add records tokens used.
func (s *State) Add(ctx context.Context, day, user string, tokens int) error {
	err := s.create(ctx, s.usage, map[string]any{"day": day, "user": user, "tokens": tokens, "at": time.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return fmt.Errorf("recording %d tokens: %w", tokens, err)
	}
	return nil
}

// Used sums a day's tokens, in all and by user, and counts its users, in
// one query.
func (s *State) Used(ctx context.Context, day, user string) (total, byUser, users int, err error) {
	onDay := fmt.Sprintf(`{path:["day"],operator:Equal,valueText:%s}`, quote(day))
	var q strings.Builder
	fmt.Fprintf(&q, `{Aggregate{all:%s(where:%s){tokens{sum}} users:%s(where:%s, groupBy:["user"]){groupedBy{value}}`, s.usage, onDay, s.usage, onDay)
	if user != "" {
		fmt.Fprintf(&q, ` mine:%s(where:{operator:And,operands:[%s,{path:["user"],operator:Equal,valueText:%s}]}){tokens{sum}}`, s.usage, onDay, quote(user))
	}
	q.WriteString("}}")
	var res aggregate
	if err := s.archive.Query(ctx, q.String(), &res); err != nil {
		return 0, 0, 0, fmt.Errorf("reading the tokens used on %s: %w", day, err)
	}
	for _, g := range res.Aggregate["users"] {
		if g.GroupedBy.Value != "" {
			users++
		}
	}
	return res.sum("all"), res.sum("mine"), users, nil
}

// aggregate is the answer to the Aggregate queries above, by alias.
type aggregate struct {
	Aggregate map[string][]struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
		Tokens struct {
			Sum float64 `json:"sum"`
		} `json:"tokens"`
		GroupedBy struct {
			Value string `json:"value"`
		} `json:"groupedBy"`
	} `json:"Aggregate"`
}

func (a aggregate) count(alias string) int {
	if rows := a.Aggregate[alias]; len(rows) > 0 {
		return rows[0].Meta.Count
	}
	return 0
}

func (a aggregate) sum(alias string) int {
	if rows := a.Aggregate[alias]; len(rows) > 0 {
		return int(rows[0].Tokens.Sum)
	}
	return 0
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func notFound(err error) bool {
	var we *fault.WeaviateClientError
	return err != nil && (errors.As(err, &we) && we.StatusCode == 404)
}

// exists reports a create refused because the object is there already.
func exists(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "already exists")
}
