// Package weaviatetest runs real Weaviate servers for tests and
// benchmarks: one node shared by a test binary, or a cluster of its own
// for a test, on loopback inside a private network namespace (Weaviate's
// gRPC, cluster-data and profiling ports listen on every interface,
// whatever it is told).
//
// A package that uses it calls Main from its TestMain. The server is
// weaviate-server Version, found at $HERALD_WEAVIATE_SERVER or under
// $HOME/.cache/herald (where .ci/run builds it); without it, or without
// namespaces, the tests that need it skip with a message, and fail under
// CI=true.
package weaviatetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the weaviate-server Herald is tested against.
const Version = "v1.39.3"

// Binary is the path of weaviate-server, or an error that says where it
// was looked for.
func Binary() (string, error) {
	path := os.Getenv("HERALD_WEAVIATE_SERVER")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding weaviate-server: %w", err)
		}
		path = filepath.Join(home, ".cache", "herald", "weaviate-"+Version, "weaviate-server")
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("no weaviate-server %s at %s (bash .ci/weaviate builds it; HERALD_WEAVIATE_SERVER names another)", Version, path)
	}
	return path, nil
}

// Node is a Weaviate node this process runs.
type Node struct {
	// Name is the node's cluster name, and URL its HTTP address.
	Name, URL string
	index     int
	dir       string
	env       []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
}

// ports are a node's, by its index i (node N has index N-1).
func ports(i int) (http, grpc, gossip, data, raft, raftRPC, profiling int) {
	return 8080 + i, 50051 + i, 7100 + 2*i, 7101 + 2*i, 8300 + 2*i, 8301 + 2*i, 6060 + i
}

// newNode prepares (without starting) the i-th node of a cluster of the
// given names whose ports start at index base, with its data under dir.
func newNode(base, i int, names []string, dir string) *Node {
	h, grpc, gossip, data, raft, raftRPC, prof := ports(base + i)
	join := make([]string, len(names))
	for j, name := range names {
		_, _, _, _, r, _, _ := ports(base + j)
		join[j] = name + ":" + strconv.Itoa(r)
	}
	n := &Node{Name: names[i], URL: "http://127.0.0.1:" + strconv.Itoa(h), index: base + i, dir: dir}
	n.env = []string{
		"PERSISTENCE_DATA_PATH=" + filepath.Join(dir, "data"),
		"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
		"DEFAULT_VECTORIZER_MODULE=none", "ENABLE_MODULES=", "DISABLE_TELEMETRY=true",
		"CLUSTER_HOSTNAME=" + n.Name, "CLUSTER_BIND_ADDR=127.0.0.1", "CLUSTER_IN_LOCALHOST=true",
		"CLUSTER_GOSSIP_BIND_PORT=" + strconv.Itoa(gossip), "CLUSTER_DATA_BIND_PORT=" + strconv.Itoa(data),
		"RAFT_PORT=" + strconv.Itoa(raft), "RAFT_INTERNAL_RPC_PORT=" + strconv.Itoa(raftRPC),
		"RAFT_BOOTSTRAP_EXPECT=" + strconv.Itoa(len(names)), "RAFT_JOIN=" + strings.Join(join, ","),
		"GRPC_PORT=" + strconv.Itoa(grpc), "GO_PROFILING_PORT=" + strconv.Itoa(prof),
		"QUERY_MAXIMUM_RESULTS=100000", "ASYNC_REPLICATION_FREQUENCY=5s",
		"LOG_LEVEL=warning", "HOME=" + dir, "PATH=" + os.Getenv("PATH"),
	}
	if i > 0 {
		_, _, g, _, _, _, _ := ports(base)
		n.env = append(n.env, "CLUSTER_JOIN=127.0.0.1:"+strconv.Itoa(g))
	}
	return n
}

// Start starts the node (again, with its data, after Kill) and waits
// until it is ready.
func (n *Node) Start(ctx context.Context) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return fmt.Errorf("starting Weaviate %s: %w", n.Name, err)
	}
	h, _, _, _, _, _, _ := ports(n.index)
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(h), "--scheme", "http")
	cmd.Env = n.env
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: log}, &lockedWriter{w: log}
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting Weaviate %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done, n.log = cmd, done, log
	n.mu.Unlock()
	if err := n.waitReady(ctx, done); err != nil {
		n.Kill()
		return fmt.Errorf("the Weaviate node %s did not become ready: %w\n%s", n.Name, err, n.Log())
	}
	return nil
}

// waitReady polls the node's readiness until it answers 200.
func (n *Node) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.URL+"/v1/.well-known/ready", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("it exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Kill ends the node with SIGKILL, as a machine that dies, and waits for
// it to be gone.
func (n *Node) Kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Log is what the node has written.
func (n *Node) Log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.log == nil {
		return ""
	}
	s := n.log.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// lockedWriter serialises the node's two output streams into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shared is the test binary's single node, started on first use and
// stopped when Main's tests end.
var shared struct {
	once sync.Once
	node *Node
	err  error
	dir  string
}

// Server returns the test binary's single Weaviate node, starting it on
// first use; it skips the test (fails it under CI=true) when none can be
// run here.
func Server(t testing.TB) *Node {
	t.Helper()
	available(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "herald-weaviate-")
		if shared.err != nil {
			return
		}
		n := newNode(10, 0, []string{"solo"}, shared.dir)
		shared.err = n.Start(context.Background())
		shared.node = n
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.node
}

// Cluster starts a cluster of n nodes for the test (node1…nodeN on the
// ports of the scale-out guide), stopped when it ends.
func Cluster(t testing.TB, n int) []*Node {
	t.Helper()
	available(t)
	names := make([]string, n)
	for i := range names {
		names[i] = "node" + strconv.Itoa(i+1)
	}
	dir := t.TempDir()
	nodes := make([]*Node, n)
	errs := make(chan error, n)
	for i := range nodes {
		nodes[i] = newNode(0, i, names, filepath.Join(dir, names[i]))
		go func() { errs <- nodes[i].Start(context.Background()) }()
	}
	t.Cleanup(func() {
		for _, node := range nodes {
			node.Kill()
		}
	})
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// available skips (or, under CI=true, fails) a test when no Weaviate can
// be run here.
func available(t testing.TB) {
	t.Helper()
	why := ""
	if _, err := Binary(); err != nil {
		why = err.Error()
	} else if reason := isolation(); reason != "" {
		why = reason
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Weaviate for this test: %s", why)
	}
	t.Skipf("no Weaviate for this test: %s", why)
}

// stopAll stops the shared node and removes its data.
func stopAll() {
	if shared.node != nil {
		shared.node.Kill()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}
